// How users ask for each tool: request templates with {param} slots, and for each parameter the
// values the generator draws with the words that say them ("f" is said "fahrenheit"). A template
// may also fix arguments its wording implies ("video call {who}" means video: true). Parameters a
// template leaves out are left out of the expected call too (their default, if any, applies).

import type { Rng } from "../../util/rng.js";
import type { ArgValue } from "./catalogue.js";

export interface Said {
  value: ArgValue;
  say: string;
}

export type ValuePool = (rng: Rng) => Said;

export interface RequestTemplate {
  text: string;
  fixed?: Readonly<Record<string, ArgValue>>;
}

export interface ToolRequests {
  templates: readonly RequestTemplate[];
  pools: Readonly<Record<string, ValuePool>>;
}

const words =
  (list: readonly string[]): ValuePool =>
  (rng) => {
    const w = rng.pick(list);
    return { value: w, say: w };
  };

const spoken =
  (table: Readonly<Record<string, readonly string[]>>): ValuePool =>
  (rng) => {
    const value = rng.pick(Object.keys(table));
    return { value, say: rng.pick(table[value] ?? [value]) };
  };

const int =
  (lo: number, hi: number, pad = 0): ValuePool =>
  (rng) => {
    const value = rng.int(lo, hi);
    return { value, say: String(value).padStart(pad, "0") };
  };

// Money amounts: whole numbers mostly, sometimes with one decimal ("2.5"), to exercise 2.5 == 2.50.
const amount: ValuePool = (rng) => {
  const value = rng.next() < 0.75 ? rng.int(1, 500) : rng.int(1, 999) / 10;
  return { value, say: String(value) };
};

const CITIES = [
  "oslo",
  "paris",
  "lima",
  "cairo",
  "tokyo",
  "rome",
  "delhi",
  "quito",
  "berlin",
  "new york",
  "cape town",
  "seoul",
];
const PEOPLE = ["ana", "bob", "li", "omar", "sara", "tom", "mia", "raj", "eva", "kofi"];
const SONGS = ["yellow", "hey jude", "imagine", "africa", "hello", "toxic", "halo", "creep"];
const CURRENCY_WORDS = { usd: ["usd", "dollars"], eur: ["eur", "euros"], gbp: ["gbp", "pounds"], jpy: ["jpy", "yen"] };
const ROOM_WORDS = { kitchen: ["kitchen"], bedroom: ["bedroom"], bath: ["bath"], hall: ["hall"] };

export const REQUESTS: Readonly<Record<string, ToolRequests>> = {
  weather: {
    templates: [
      { text: "weather in {city}" },
      { text: "weather in {city} in {unit}" },
      { text: "is it warm in {city}?" },
      { text: "{city} weather in {unit}" },
    ],
    pools: { city: words(CITIES), unit: spoken({ c: ["celsius"], f: ["fahrenheit"] }) },
  },
  timer: {
    templates: [
      { text: "set a timer for {min} min" },
      { text: "timer {min} minutes for {label}" },
      { text: "{min} min timer for {label}" },
    ],
    pools: { min: int(1, 90), label: words(["tea", "eggs", "pasta", "laundry", "nap", "bread"]) },
  },
  alarm: {
    templates: [
      { text: "wake me at {hour}" },
      { text: "alarm at {hour}:{min}" },
      { text: "set an alarm for {hour}:{min}" },
    ],
    pools: { hour: int(0, 23), min: int(0, 59, 2) },
  },
  convert: {
    templates: [
      { text: "convert {amt} {from} to {to}" },
      { text: "{amt} {from} in {to}?" },
      { text: "how much is {amt} {from} in {to}" },
    ],
    pools: { amt: amount, from: spoken(CURRENCY_WORDS), to: spoken(CURRENCY_WORDS) },
  },
  play: {
    templates: [
      { text: "play {song}" },
      { text: "play {song} on shuffle", fixed: { shuffle: true } },
      { text: "shuffle {song}", fixed: { shuffle: true } },
      { text: "play {song} in order", fixed: { shuffle: false } },
    ],
    pools: { song: words(SONGS) },
  },
  light: {
    templates: [
      { text: "turn on the {room} light", fixed: { on: true } },
      { text: "turn off the {room} light", fixed: { on: false } },
      { text: "{room} lights on", fixed: { on: true } },
      { text: "{room} lights off", fixed: { on: false } },
    ],
    pools: { room: spoken(ROOM_WORDS) },
  },
  remind: {
    templates: [{ text: "remind me to {task} on {day}" }, { text: "{day}: remind me to {task}" }],
    pools: {
      task: words(["buy milk", "call mom", "pay rent", "water plants", "feed cat", "run"]),
      day: spoken({
        mon: ["monday"],
        tue: ["tuesday"],
        wed: ["wednesday"],
        thu: ["thursday"],
        fri: ["friday"],
        sat: ["saturday"],
        sun: ["sunday"],
      }),
    },
  },
  call: {
    templates: [{ text: "call {who}" }, { text: "phone {who}" }, { text: "video call {who}", fixed: { video: true } }],
    pools: { who: words(PEOPLE) },
  },
  say: {
    templates: [
      { text: "translate {text} to {lang}" },
      { text: "say {text} in {lang}" },
      { text: "how do you say {text} in {lang}" },
    ],
    pools: {
      text: words(["hello", "thank you", "good night", "where is the bus", "i am lost", "cheers"]),
      lang: spoken({ fr: ["french"], de: ["german"], es: ["spanish"], it: ["italian"] }),
    },
  },
  heat: {
    templates: [
      { text: "set the heating to {temp}" },
      { text: "heat the {room} to {temp}" },
      { text: "make the {room} {temp} degrees" },
    ],
    pools: { temp: int(10, 30), room: spoken(ROOM_WORDS) },
  },
  search: {
    templates: [{ text: "search for {q}" }, { text: "look up {q}" }, { text: "google {q}" }],
    pools: { q: words(["cheap flights", "pasta recipe", "bus times", "news", "cat videos", "moon phase"]) },
  },
  email: {
    templates: [
      { text: "email {to} about {subj}" },
      { text: "send {to} a mail about {subj}" },
      { text: "mail {to}: {subj}" },
    ],
    pools: { to: words(PEOPLE), subj: words(["lunch", "rent", "the trip", "invoice", "party"]) },
  },
};

const SLOT = /\{([a-z]+)\}/g;

/** The parameter names a template's slots mention, in order. */
export function slotsOf(template: string): string[] {
  return Array.from(template.matchAll(SLOT), (m) => m[1] as string);
}

/** Fills a template's slots from its pools. Throws on a slot without a pool (a bug in the tables). */
export function fillTemplate(
  rng: Rng,
  requests: ToolRequests,
  template: RequestTemplate,
): { request: string; args: Record<string, ArgValue> } {
  const args: Record<string, ArgValue> = { ...template.fixed };
  const request = template.text.replace(SLOT, (_, name: string) => {
    const pool = Object.hasOwn(requests.pools, name) ? requests.pools[name] : undefined;
    if (pool === undefined) throw new Error(`fillTemplate: no values for slot {${name}}`);
    const said = pool(rng);
    args[name] = said.value;
    return said.say;
  });
  return { request, args };
}
