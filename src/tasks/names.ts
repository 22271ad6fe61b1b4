// The names of the registered tasks, in a module that imports nothing: the pretraining defaults
// (src/train/config.ts) name their task with it, and the registry, which names those defaults,
// is checked to have exactly these keys. Naming the type here instead of deriving it from the
// registry keeps train/config.ts ⇄ tasks/registry.ts from being an import cycle.
export type TaskName = "countdown" | "functions" | "translation" | "bbh";
