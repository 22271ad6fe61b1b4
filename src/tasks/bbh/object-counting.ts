// BBH object_counting: "I have a cat, two dogs and a chair. How many animals?" → "3". Items from
// four categories plus furniture that is never asked about (a distractor); the target is the sum of
// the generator's own counts.

import type { Rng } from "../../util/rng.js";
import type { BbhItem } from "./problem.js";

export type CountCategory = "animals" | "fruits" | "vegetables" | "instruments";

interface Thing {
  one: string;
  many: string;
  category: CountCategory | "furniture";
}

const t = (one: string, many: string, category: Thing["category"]): Thing => ({ one, many, category });

export const THINGS: readonly Thing[] = [
  t("a cat", "cats", "animals"),
  t("a dog", "dogs", "animals"),
  t("a cow", "cows", "animals"),
  t("a goat", "goats", "animals"),
  t("a pig", "pigs", "animals"),
  t("a duck", "ducks", "animals"),
  t("a frog", "frogs", "animals"),
  t("a mouse", "mice", "animals"),
  t("an apple", "apples", "fruits"),
  t("a plum", "plums", "fruits"),
  t("a peach", "peaches", "fruits"),
  t("a pear", "pears", "fruits"),
  t("a lemon", "lemons", "fruits"),
  t("a grape", "grapes", "fruits"),
  t("a carrot", "carrots", "vegetables"),
  t("an onion", "onions", "vegetables"),
  t("a potato", "potatoes", "vegetables"),
  t("a leek", "leeks", "vegetables"),
  t("a yam", "yams", "vegetables"),
  t("a bean", "beans", "vegetables"),
  t("a drum", "drums", "instruments"),
  t("a flute", "flutes", "instruments"),
  t("a piano", "pianos", "instruments"),
  t("a harp", "harps", "instruments"),
  t("a violin", "violins", "instruments"),
  t("a chair", "chairs", "furniture"),
  t("a table", "tables", "furniture"),
  t("a lamp", "lamps", "furniture"),
  t("a bed", "beds", "furniture"),
  t("a couch", "couches", "furniture"),
];

const NUMBER_WORDS = ["", "", "two", "three", "four"];
export const MAX_COUNT_INPUT = 60;

export function generateObjectCounting(rng: Rng): BbhItem {
  // Most draws fit; the bound turns a broken length limit into an error instead of a hang.
  for (let tries = 0; tries < 10_000; tries++) {
    const items = rng.shuffle(THINGS).slice(0, rng.int(2, 4));
    const asked = items.filter((i) => i.category !== "furniture");
    if (asked.length === 0) continue;
    const category = rng.pick(asked).category;
    const counts = items.map(() => rng.int(1, 4));
    const said = items.map((it, i) => (counts[i] === 1 ? it.one : `${NUMBER_WORDS[counts[i] as number]} ${it.many}`));
    const list =
      said.length === 1 ? (said[0] as string) : `${said.slice(0, -1).join(", ")} and ${said[said.length - 1]}`;
    const input = `I have ${list}. How many ${category}?`;
    if (input.length > MAX_COUNT_INPUT) continue;
    const target = items.reduce((sum, it, i) => sum + (it.category === category ? (counts[i] as number) : 0), 0);
    return { input, target: String(target) };
  }
  throw new Error("generateObjectCounting: no question fits MAX_COUNT_INPUT");
}
