export {
  sentenceBleu,
  corpusBleu,
  bleuStats,
  bleuFromStats,
  addBleuStats,
  closestRefLength,
  type BleuOptions,
  type BleuScore,
  type BleuSmoothing,
  type BleuStats,
} from "./bleu.js";
export { tokenize13a, splitWords } from "./tokenize-13a.js";
