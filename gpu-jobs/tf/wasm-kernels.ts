// Two tfjs-backend-wasm 4.22 kernels replaced by versions that share their input's memory instead
// of copying it. Autodiff clones every tensor it saves for the backward pass (Identity), and the
// gradient of every multiply casts a float32 operand to float32 (Cast): on wasm each is a full
// copy, about a thousand copies per cpu-preset step (~5% of it, the profile in BENCHMARKS.md).
// Sharing is what the cpu backend's Identity does, and what wasm's own Reshape does: tensors are
// immutable and the backend counts references (a variable's assign swaps in new memory, it does
// not write into the old), so a shared copy can never change under its reader.
import * as tf from "@tensorflow/tfjs";

type WasmBackend = { incRef(dataId: object): void };
type Input = { dataId: object; shape: number[]; dtype: tf.DataType };

let installed = false;

/** Install the sharing Identity and same-dtype Cast on the wasm backend (once per thread; call after it is registered). */
export function shareUnchangedTensorsOnWasm(): void {
  if (installed) return;
  const cast = tf.getKernel("Cast", "wasm");
  const identity = tf.getKernel("Identity", "wasm");
  if (!cast || !identity) return;
  const share = (x: Input, backend: unknown) => {
    (backend as WasmBackend).incRef(x.dataId);
    return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
  };
  tf.unregisterKernel("Identity", "wasm");
  tf.registerKernel({
    kernelName: "Identity",
    backendName: "wasm",
    kernelFunc: (args) => {
      const x = args.inputs.x as unknown as Input;
      // Strings live in JS, outside wasm memory: the original kernel copies them.
      return x.dtype === "string" ? identity.kernelFunc(args) : share(x, args.backend);
    },
  });
  tf.unregisterKernel("Cast", "wasm");
  tf.registerKernel({
    kernelName: "Cast",
    backendName: "wasm",
    kernelFunc: (args) => {
      const x = args.inputs.x as unknown as Input;
      if (x.dtype === (args.attrs as { dtype: tf.DataType }).dtype) return share(x, args.backend);
      return cast.kernelFunc(args);
    },
  });
  installed = true;
}
