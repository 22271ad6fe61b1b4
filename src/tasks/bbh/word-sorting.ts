// BBH word_sorting: "sort: pear oven cat" → "cat oven pear". A fixed lexicon with shared
// prefixes (car, card, cart) so that sorting has to look past the first letter.

import type { Rng } from "../../util/rng.js";
import type { BbhItem } from "./problem.js";

export const SORT_LEXICON: readonly string[] = [
  "apple",
  "ant",
  "arm",
  "bag",
  "ball",
  "band",
  "bat",
  "bed",
  "bell",
  "car",
  "card",
  "cart",
  "cat",
  "cup",
  "dog",
  "door",
  "duck",
  "egg",
  "fan",
  "fish",
  "fog",
  "game",
  "gate",
  "hat",
  "hill",
  "ink",
  "jam",
  "kite",
  "lamp",
  "leaf",
  "map",
  "mat",
  "nest",
  "oven",
  "pear",
  "pen",
  "pig",
  "rain",
  "ring",
  "sock",
];

export function generateWordSorting(rng: Rng): BbhItem {
  const words = rng.shuffle(SORT_LEXICON).slice(0, rng.int(3, 5));
  const sorted = words.slice().sort();
  return { input: `sort: ${words.join(" ")}`, target: sorted.join(" ") };
}
