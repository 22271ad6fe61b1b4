// Model shape. Validated with zod because configs arrive from checkpoints and CLI flags.
import { z } from "zod";

export const ModelConfigSchema = z
  .object({
    vocabSize: z.number().int().min(2).max(65536),
    contextLength: z.number().int().min(2).max(4096),
    dModel: z.number().int().min(4).max(4096),
    nLayers: z.number().int().min(1).max(64),
    nHeads: z.number().int().min(1).max(64),
    mlpRatio: z.number().int().min(1).max(16).default(4),
    /** A scalar value head beside the LM head, for PPO's critic. */
    valueHead: z.boolean().default(false),
  })
  .strict()
  .refine((c) => c.dModel % c.nHeads === 0, { message: "dModel must be divisible by nHeads", path: ["dModel"] });

/**
 * A transformer's shape (layers, heads, widths, context, vocabulary), validated by zod: what
 * {@link LanguageModel.create} builds.
 */
export type ModelConfig = z.infer<typeof ModelConfigSchema>;

export function parseModelConfig(value: unknown, where: string): ModelConfig {
  const r = ModelConfigSchema.safeParse(value);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new Error(`${where}: model config field "${issue?.path.join(".") ?? "?"}": ${issue?.message ?? "invalid"}`);
  }
  return r.data;
}
