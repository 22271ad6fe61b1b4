// The role tokens every task's prompts are written with. With a character-level vocabulary a
// prompt sentence is one special token: <|judge|> stands for RLC's correctness-evaluation prompt
// ("Is the answer to this question correct?"), <|reflect|> for R3's "you failed; reflect on what
// went wrong". Sharing them keeps actors and machinery task-blind: a Teacher asks every task's
// model the same question, a reflection stops at the same <|retry|>.
//
// The order is part of every base model's tokenizer (specials take the first ids), so entries
// are only ever appended.
export const SPECIAL = {
  pad: "<|pad|>",
  bos: "<|bos|>",
  eos: "<|eos|>",
  unk: "<|unk|>",
  ans: "<|ans|>",
  judge: "<|judge|>",
  yes: "<|yes|>",
  no: "<|no|>",
  reflect: "<|reflect|>",
  retry: "<|retry|>",
} as const;
