/**
 * The zod fields of the text a concentration reads (corpus and budget), spread into the schemas of
 * `concentrate` and `pretrain`; internal, so the public API stays free of zod's types.
 * @module
 */
import { z } from "zod";
import { SAMPLE_CORPUS } from "../samples.ts";
import { parseSize, SIZE_PATTERN } from "./size.ts";

/** The zod fields of the text a concentration reads, shared with pre-training. */
export const TEXT_FIELDS = {
  corpus: z.array(z.string().min(1)).min(1).default([...SAMPLE_CORPUS]).describe(
    "corpus files (text or gzip) or directories of WikiExtractor wiki_NN files",
  ),
  budget: z.string().regex(SIZE_PATTERN, "a size such as 500KB, 50MB or 1.5GiB")
    .refine((s) => {
      try {
        return parseSize(s) >= 1;
      } catch {
        return false;
      }
    }, "must be at least 1 byte and at most 2^53").nullable().default("500KB")
    .describe("size of the concentrated text and of its random control"),
};
