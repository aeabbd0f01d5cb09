/** Model name recorded in releases whose vectors come from an exported ONNX model. */
export const ONNX_ENCODER_NAME = "vitrine-onnx-v1";
