/** Cut a size×size RGB thumbnail into grid×grid patches (row-major order), each (size/grid)²×3 values in [0, 1]. */
export function patchify(thumb: Uint8Array, size: number, grid: number): Float32Array[] {
  if (!Number.isInteger(size) || size <= 0) throw new RangeError(`patchify: size must be a positive integer, got ${size}`);
  if (!Number.isInteger(grid) || grid <= 0) throw new RangeError(`patchify: grid must be a positive integer, got ${grid}`);
  if (size % grid !== 0) throw new RangeError(`patchify: size ${size} is not divisible by grid ${grid}`);
  if (thumb.length !== size * size * 3) {
    throw new RangeError(`patchify: thumb has ${thumb.length} bytes, expected ${size}*${size}*3 = ${size * size * 3}`);
  }
  const side = size / grid;
  const rowBytes = side * 3;
  const patches: Float32Array[] = [];
  for (let py = 0; py < grid; py++) {
    for (let px = 0; px < grid; px++) {
      const patch = new Float32Array(side * rowBytes);
      for (let y = 0; y < side; y++) {
        const src = ((py * side + y) * size + px * side) * 3;
        const dst = y * rowBytes;
        for (let i = 0; i < rowBytes; i++) patch[dst + i] = thumb[src + i]! / 255;
      }
      patches.push(patch);
    }
  }
  return patches;
}
