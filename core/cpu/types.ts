/** Float storage the CPU twins accept: f32 when they serve as a backend, f64 when they are the reference. */
export type Floats = Float32Array | Float64Array;
/** Integer inputs (token ids, positions, labels). */
export type Ints = Int32Array;
