import koffi from "./koffi-setup.ts";

/**
 * Copies between JS typed arrays and native memory with libc's `memcpy`: koffi passes a typed array's
 * own bytes as the pointer, so each copy is one memcpy. (A `koffi.view` over native memory would save
 * the copy but leaked about 400 bytes per view here, and dangles once onnxruntime frees the tensor.)
 */
const libc = koffi.load("libc.so.6");
const memcpy = libc.func("void* memcpy(void* destination, const void* source, size_t bytes)");

export function copyToNative(destination: unknown, source: ArrayBufferView): void {
  if (source.byteLength > 0) memcpy(destination, source, source.byteLength);
}

export function copyFromNative(destination: ArrayBufferView, source: unknown): void {
  if (destination.byteLength > 0) memcpy(destination, source, destination.byteLength);
}
