/** The device ops: each records its WGSL kernel(s) on a Gpu; same names and arguments as the CPU twins, after `gpu`. @module */
export * from "./adamw.ts";
export * from "./bias.ts";
export * from "./crossentropy.ts";
export * from "./dropout.ts";
export * from "./embedding.ts";
export * from "./fill.ts";
export * from "./gather.ts";
export * from "./gelu.ts";
export * from "./heads.ts";
export * from "./layernorm.ts";
export * from "./matmul.ts";
export * from "./matmul_mixed.ts";
export * from "./mse.ts";
export * from "./reduce.ts";
export * from "./residual.ts";
export * from "./softmax.ts";
export * from "./tanh.ts";
