// Character-level tokenizer with whole-token specials such as "<|ans|>". Characters outside
// the alphabet encode to <|unk|> so untrusted text can always be encoded; decoding is exact.

/** A character-level tokenizer as stored in a checkpoint: its special tokens and alphabet. */
export interface TokenizerSpec {
  version: 1;
  /** Special tokens, ids 0..n-1 in this order. Must include <|pad|>, <|bos|>, <|eos|>, <|unk|>. */
  specials: string[];
  /** Every ordinary character, ids follow the specials. */
  chars: string;
}

export const PAD = "<|pad|>";
export const BOS = "<|bos|>";
export const EOS = "<|eos|>";
export const UNK = "<|unk|>";

/**
 * Character-level tokenizer: text to ids and back. Any text encodes (unknown characters become
 * `<|unk|>`); decoding is exact.
 */
export class Tokenizer {
  readonly spec: TokenizerSpec;
  readonly vocabSize: number;
  readonly pad: number;
  readonly bos: number;
  readonly eos: number;
  readonly unk: number;
  private readonly idOf = new Map<string, number>();
  private readonly pieces: string[];
  private readonly specialsByLength: string[];
  private readonly specialStarts: Set<string>;

  constructor(spec: TokenizerSpec) {
    if (spec.version !== 1) throw new Error(`tokenizer: unsupported version ${String(spec.version)}`);
    this.spec = spec;
    this.pieces = [...spec.specials, ...Array.from(spec.chars)];
    if (spec.specials.some((s) => s.length === 0)) throw new Error("tokenizer: empty special token");
    this.pieces.forEach((p, i) => {
      if (this.idOf.has(p)) throw new Error(`tokenizer: duplicate token ${JSON.stringify(p)}`);
      this.idOf.set(p, i);
    });
    this.vocabSize = this.pieces.length;
    const need = (s: string): number => {
      const id = this.idOf.get(s);
      if (id === undefined || id >= spec.specials.length) throw new Error(`tokenizer: missing special ${s}`);
      return id;
    };
    this.pad = need(PAD);
    this.bos = need(BOS);
    this.eos = need(EOS);
    this.unk = need(UNK);
    // Longest first so that no special is shadowed by a prefix of another.
    this.specialsByLength = [...spec.specials].sort((a, b) => b.length - a.length);
    this.specialStarts = new Set(spec.specials.map((s) => s[0] ?? ""));
  }

  /** The id of a token (a special such as `<|eos|>`, or one character); throws for an unknown one. */
  id(token: string): number {
    const id = this.idOf.get(token);
    if (id === undefined) throw new Error(`tokenizer: unknown token ${JSON.stringify(token)}`);
    return id;
  }

  /** Ids for `text`; special tokens written in the text are recognised. */
  encode(text: string): number[] {
    const out: number[] = [];
    let i = 0;
    outer: while (i < text.length) {
      if (this.specialStarts.has(text[i] as string)) {
        for (const s of this.specialsByLength) {
          if (text.startsWith(s, i)) {
            out.push(this.idOf.get(s) as number);
            i += s.length;
            continue outer;
          }
        }
      }
      const cp = text.codePointAt(i) as number;
      const ch = String.fromCodePoint(cp);
      out.push(this.idOf.get(ch) ?? this.unk);
      i += ch.length;
    }
    return out;
  }

  /** Text for `ids`; `skipSpecial` leaves out special tokens. */
  decode(ids: ArrayLike<number>, opts: { skipSpecial?: boolean } = {}): string {
    let s = "";
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i] as number;
      const piece = this.pieces[id];
      if (piece === undefined) throw new Error(`tokenizer: id ${id} out of range 0..${this.vocabSize - 1}`);
      if (opts.skipSpecial && id < this.spec.specials.length) continue;
      s += piece;
    }
    return s;
  }

  /** Whether `id` is a special token (padding, bos, eos, role markers). */
  isSpecial(id: number): boolean {
    return id < this.spec.specials.length;
  }

  /** The spec this tokenizer was built from (what a checkpoint stores). */
  toJSON(): TokenizerSpec {
    return this.spec;
  }
}
