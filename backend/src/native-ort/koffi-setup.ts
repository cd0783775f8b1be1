import koffi from "koffi";

/**
 * koffi, configured before any library is loaded (koffi refuses changes after). An async call runs the
 * C function on a stack koffi allocates, 128 KiB by default: onnxruntime's Run on a real UNet overflowed
 * it (a segfault in the first run of SD 1.5's UNet at widths ÷ 8). 8 MiB is a thread's usual stack; its
 * pages are touched only as deep as a run goes. Every module of the binding imports koffi from here.
 */
koffi.config({ ...koffi.config(), async_stack_size: 8 * 2 ** 20 });

export default koffi;
