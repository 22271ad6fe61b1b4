// The "13a" tokenisation of mteval-v13a.pl, as sacreBLEU implements it (its default for BLEU).
// Scores are only comparable between implementations that tokenise alike, so this follows
// sacreBLEU 2.x (tokenizer_13a.py + tokenizer_re.py) rule for rule.

// Punctuation and symbols: { | } ~ [ \ ] ^ _ ` space ! " # $ % & ( ) * + : ; < = > ? @ /
// (the apostrophe, comma, hyphen and period are handled by the rules below).
const PUNCT = /([{-~[-` -&(-+:-@/])/g;
// Periods and commas split off unless they sit between digits ("3.14", "1,000" stay whole).
const PERIOD_COMMA_AFTER_NON_DIGIT = /([^0-9])([.,])/g;
const PERIOD_COMMA_BEFORE_NON_DIGIT = /([.,])([^0-9])/g;
// A dash after a digit ("5-6") is split off.
const DASH_AFTER_DIGIT = /([0-9])(-)/g;
const WHITESPACE = /\s+/;

/** Tokenises one line the way sacreBLEU's default "13a" tokenizer does; tokens are joined by single spaces. */
export function tokenize13a(text: string): string {
  let line = text.replaceAll("<skipped>", "").replaceAll("-\n", "").replaceAll("\n", " ");
  if (line.includes("&")) {
    line = line.replaceAll("&quot;", '"').replaceAll("&amp;", "&").replaceAll("&lt;", "<").replaceAll("&gt;", ">");
  }
  line = ` ${line} `;
  line = line.replace(PUNCT, " $1 ");
  line = line.replace(PERIOD_COMMA_AFTER_NON_DIGIT, "$1 $2 ");
  line = line.replace(PERIOD_COMMA_BEFORE_NON_DIGIT, " $1 $2");
  line = line.replace(DASH_AFTER_DIGIT, "$1 $2 ");
  return splitWords(line).join(" ");
}

/** Whitespace tokenisation (Python's str.split() without arguments, up to Unicode's notion of space). */
export function splitWords(text: string): string[] {
  const trimmed = text.trim();
  return trimmed === "" ? [] : trimmed.split(WHITESPACE);
}
