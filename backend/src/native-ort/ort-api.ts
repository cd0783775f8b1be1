import type { LibraryHandle, TypeObject } from "koffi";
import koffi from "./koffi-setup.ts";

/**
 * onnxruntime's C API, reached through koffi from the `libonnxruntime.so.1` that onnxruntime-node
 * ships: what the Node binding leaves out (the CUDA provider's options, IO binding, device tensors, run
 * options) is all there.
 *
 * `OrtGetApiBase()->GetApi(ORT_API_VERSION)` returns a table of function pointers, `struct OrtApi` in
 * include/onnxruntime/core/session/onnxruntime_c_api.h. The table is append-only across releases, so an
 * entry's position never changes: the positions below are those of the 1.29 header (checked against
 * the C# binding's `OrtApi` struct of the same release, which mirrors it field for field, and by the
 * tests, which call each one). Only what sdgate uses is declared.
 */

/** The API version of onnxruntime 1.29, the version onnxruntime-node and the CUDA provider are pinned to. */
export const ORT_API_VERSION = 29;

/** Each entry: its position in `OrtApi` and its C prototype, in koffi's declaration syntax. */
const FUNCTIONS = {
  CreateStatus: [0, "OrtStatus* CreateStatus(int code, const char* msg)"],
  GetErrorCode: [1, "int GetErrorCode(const OrtStatus* status)"],
  GetErrorMessage: [2, "const char* GetErrorMessage(const OrtStatus* status)"],
  CreateEnv: [3, "OrtStatus* CreateEnv(int level, const char* logid, _Out_ OrtEnv** out)"],
  CreateSession: [
    7,
    "OrtStatus* CreateSession(const OrtEnv* env, const char* path, const OrtSessionOptions* options, _Out_ OrtSession** out)",
  ],
  CreateSessionFromArray: [
    8,
    "OrtStatus* CreateSessionFromArray(const OrtEnv* env, const uint8_t* data, size_t length, const OrtSessionOptions* options, _Out_ OrtSession** out)",
  ],
  Run: [
    9,
    "OrtStatus* Run(OrtSession* session, const OrtRunOptions* options, const char** inputNames, OrtValue** inputs, size_t inputCount, const char** outputNames, size_t outputCount, _Inout_ OrtValue** outputs)",
  ],
  CreateSessionOptions: [10, "OrtStatus* CreateSessionOptions(_Out_ OrtSessionOptions** out)"],
  EnableMemPattern: [16, "OrtStatus* EnableMemPattern(OrtSessionOptions* options)"],
  DisableMemPattern: [17, "OrtStatus* DisableMemPattern(OrtSessionOptions* options)"],
  EnableCpuMemArena: [18, "OrtStatus* EnableCpuMemArena(OrtSessionOptions* options)"],
  DisableCpuMemArena: [19, "OrtStatus* DisableCpuMemArena(OrtSessionOptions* options)"],
  SetSessionLogSeverityLevel: [
    22,
    "OrtStatus* SetSessionLogSeverityLevel(OrtSessionOptions* options, int level)",
  ],
  SetSessionGraphOptimizationLevel: [
    23,
    "OrtStatus* SetSessionGraphOptimizationLevel(OrtSessionOptions* options, int level)",
  ],
  SetIntraOpNumThreads: [24, "OrtStatus* SetIntraOpNumThreads(OrtSessionOptions* options, int threads)"],
  SetInterOpNumThreads: [25, "OrtStatus* SetInterOpNumThreads(OrtSessionOptions* options, int threads)"],
  SessionGetInputCount: [30, "OrtStatus* SessionGetInputCount(const OrtSession* session, _Out_ size_t* out)"],
  SessionGetOutputCount: [
    31,
    "OrtStatus* SessionGetOutputCount(const OrtSession* session, _Out_ size_t* out)",
  ],
  SessionGetInputTypeInfo: [
    33,
    "OrtStatus* SessionGetInputTypeInfo(const OrtSession* session, size_t index, _Out_ OrtTypeInfo** out)",
  ],
  SessionGetOutputTypeInfo: [
    34,
    "OrtStatus* SessionGetOutputTypeInfo(const OrtSession* session, size_t index, _Out_ OrtTypeInfo** out)",
  ],
  SessionGetInputName: [
    36,
    "OrtStatus* SessionGetInputName(const OrtSession* session, size_t index, OrtAllocator* allocator, _Out_ void** out)",
  ],
  SessionGetOutputName: [
    37,
    "OrtStatus* SessionGetOutputName(const OrtSession* session, size_t index, OrtAllocator* allocator, _Out_ void** out)",
  ],
  CreateRunOptions: [39, "OrtStatus* CreateRunOptions(_Out_ OrtRunOptions** out)"],
  RunOptionsSetRunLogSeverityLevel: [
    41,
    "OrtStatus* RunOptionsSetRunLogSeverityLevel(OrtRunOptions* options, int level)",
  ],
  RunOptionsSetRunTag: [42, "OrtStatus* RunOptionsSetRunTag(OrtRunOptions* options, const char* tag)"],
  RunOptionsSetTerminate: [46, "OrtStatus* RunOptionsSetTerminate(OrtRunOptions* options)"],
  RunOptionsUnsetTerminate: [47, "OrtStatus* RunOptionsUnsetTerminate(OrtRunOptions* options)"],
  CreateTensorAsOrtValue: [
    48,
    "OrtStatus* CreateTensorAsOrtValue(OrtAllocator* allocator, const int64_t* shape, size_t shapeLength, int type, _Out_ OrtValue** out)",
  ],
  GetTensorMutableData: [51, "OrtStatus* GetTensorMutableData(OrtValue* value, _Out_ void** out)"],
  CastTypeInfoToTensorInfo: [
    55,
    "OrtStatus* CastTypeInfoToTensorInfo(const OrtTypeInfo* info, _Out_ OrtTensorTypeAndShapeInfo** out)",
  ],
  GetTensorElementType: [
    60,
    "OrtStatus* GetTensorElementType(const OrtTensorTypeAndShapeInfo* info, _Out_ int* out)",
  ],
  GetDimensionsCount: [
    61,
    "OrtStatus* GetDimensionsCount(const OrtTensorTypeAndShapeInfo* info, _Out_ size_t* out)",
  ],
  GetDimensions: [
    62,
    "OrtStatus* GetDimensions(const OrtTensorTypeAndShapeInfo* info, _Out_ int64_t* dims, size_t count)",
  ],
  GetTensorTypeAndShape: [
    65,
    "OrtStatus* GetTensorTypeAndShape(const OrtValue* value, _Out_ OrtTensorTypeAndShapeInfo** out)",
  ],
  CreateMemoryInfo: [
    68,
    "OrtStatus* CreateMemoryInfo(const char* name, int allocatorType, int deviceId, int memType, _Out_ OrtMemoryInfo** out)",
  ],
  MemoryInfoGetName: [71, "OrtStatus* MemoryInfoGetName(const OrtMemoryInfo* info, _Out_ const char** out)"],
  AllocatorFree: [76, "OrtStatus* AllocatorFree(OrtAllocator* allocator, void* pointer)"],
  GetAllocatorWithDefaultOptions: [78, "OrtStatus* GetAllocatorWithDefaultOptions(_Out_ OrtAllocator** out)"],
  ReleaseEnv: [92, "void ReleaseEnv(OrtEnv* value)"],
  ReleaseStatus: [93, "void ReleaseStatus(OrtStatus* value)"],
  ReleaseMemoryInfo: [94, "void ReleaseMemoryInfo(OrtMemoryInfo* value)"],
  ReleaseSession: [95, "void ReleaseSession(OrtSession* value)"],
  ReleaseValue: [96, "void ReleaseValue(OrtValue* value)"],
  ReleaseRunOptions: [97, "void ReleaseRunOptions(OrtRunOptions* value)"],
  ReleaseTypeInfo: [98, "void ReleaseTypeInfo(OrtTypeInfo* value)"],
  ReleaseTensorTypeAndShapeInfo: [99, "void ReleaseTensorTypeAndShapeInfo(OrtTensorTypeAndShapeInfo* value)"],
  ReleaseSessionOptions: [100, "void ReleaseSessionOptions(OrtSessionOptions* value)"],
  AddSessionConfigEntry: [
    130,
    "OrtStatus* AddSessionConfigEntry(OrtSessionOptions* options, const char* key, const char* value)",
  ],
  CreateAllocator: [
    131,
    "OrtStatus* CreateAllocator(const OrtSession* session, const OrtMemoryInfo* info, _Out_ OrtAllocator** out)",
  ],
  ReleaseAllocator: [132, "void ReleaseAllocator(OrtAllocator* value)"],
  RunWithBinding: [
    133,
    "OrtStatus* RunWithBinding(OrtSession* session, const OrtRunOptions* options, const OrtIoBinding* binding)",
  ],
  CreateIoBinding: [134, "OrtStatus* CreateIoBinding(OrtSession* session, _Out_ OrtIoBinding** out)"],
  ReleaseIoBinding: [135, "void ReleaseIoBinding(OrtIoBinding* value)"],
  BindInput: [136, "OrtStatus* BindInput(OrtIoBinding* binding, const char* name, const OrtValue* value)"],
  BindOutput: [137, "OrtStatus* BindOutput(OrtIoBinding* binding, const char* name, const OrtValue* value)"],
  BindOutputToDevice: [
    138,
    "OrtStatus* BindOutputToDevice(OrtIoBinding* binding, const char* name, const OrtMemoryInfo* info)",
  ],
  GetBoundOutputValues: [
    140,
    "OrtStatus* GetBoundOutputValues(const OrtIoBinding* binding, OrtAllocator* allocator, _Out_ void** values, _Out_ size_t* count)",
  ],
  ClearBoundInputs: [141, "void ClearBoundInputs(OrtIoBinding* binding)"],
  ClearBoundOutputs: [142, "void ClearBoundOutputs(OrtIoBinding* binding)"],
  AddRunConfigEntry: [
    165,
    "OrtStatus* AddRunConfigEntry(OrtRunOptions* options, const char* key, const char* value)",
  ],
  SynchronizeBoundInputs: [202, "OrtStatus* SynchronizeBoundInputs(OrtIoBinding* binding)"],
  SynchronizeBoundOutputs: [203, "OrtStatus* SynchronizeBoundOutputs(OrtIoBinding* binding)"],
  SessionOptionsAppendExecutionProvider_CUDA_V2: [
    204,
    "OrtStatus* SessionOptionsAppendExecutionProvider_CUDA_V2(OrtSessionOptions* options, const OrtCUDAProviderOptionsV2* cuda)",
  ],
  CreateCUDAProviderOptions: [
    205,
    "OrtStatus* CreateCUDAProviderOptions(_Out_ OrtCUDAProviderOptionsV2** out)",
  ],
  UpdateCUDAProviderOptions: [
    206,
    "OrtStatus* UpdateCUDAProviderOptions(OrtCUDAProviderOptionsV2* cuda, const char** keys, const char** values, size_t count)",
  ],
  GetCUDAProviderOptionsAsString: [
    207,
    "OrtStatus* GetCUDAProviderOptionsAsString(const OrtCUDAProviderOptionsV2* cuda, OrtAllocator* allocator, _Out_ void** out)",
  ],
  ReleaseCUDAProviderOptions: [208, "void ReleaseCUDAProviderOptions(OrtCUDAProviderOptionsV2* value)"],
} as const;

export type OrtFunctionName = keyof typeof FUNCTIONS;

/** A C function of the table, callable synchronously or (`.async`) on one of koffi's worker threads. */
export interface OrtFunction {
  // biome-ignore lint/suspicious/noExplicitAny: koffi converts arguments by the declared C prototype
  (...args: any[]): any;
  // biome-ignore lint/suspicious/noExplicitAny: as above; the last argument is the (error, result) callback
  async(...args: any[]): void;
}

/** The handle types the prototypes name, as koffi opaque types. */
const HANDLE_TYPES = [
  "OrtStatus",
  "OrtEnv",
  "OrtSession",
  "OrtSessionOptions",
  "OrtRunOptions",
  "OrtValue",
  "OrtTypeInfo",
  "OrtTensorTypeAndShapeInfo",
  "OrtMemoryInfo",
  "OrtAllocator",
  "OrtIoBinding",
  "OrtCUDAProviderOptionsV2",
] as const;

export interface OrtApi {
  /** The library the table came from. */
  readonly libraryPath: string;
  /** onnxruntime's own version string, e.g. `1.29.0`. */
  readonly version: string;
  readonly fn: Readonly<Record<OrtFunctionName, OrtFunction>>;
  /**
   * koffi's handle on the library, kept for as long as the API is: koffi closes a library whose
   * handle is garbage-collected, and every function pointer of the table would then dangle.
   */
  readonly library: LibraryHandle;
}

const loaded = new Map<string, OrtApi>();
/** koffi's named types are process-wide, so each is declared once, whichever library is loaded. */
const prototypes = new Map<OrtFunctionName, TypeObject>();

function declareTypes(): void {
  if (prototypes.size > 0) return;
  for (const name of HANDLE_TYPES) koffi.opaque(name);
  for (const [name, [, prototype]] of Object.entries(FUNCTIONS)) {
    prototypes.set(name as OrtFunctionName, koffi.proto(prototype));
  }
}

/**
 * The C API of the onnxruntime at `libraryPath`, loaded once per path (a process keeps one library
 * loaded: unloading a library that still owns sessions would crash it).
 *
 * @example
 * const api = loadOrtApi(findOnnxruntimeLibrary());
 * api.version // "1.29.0"
 */
export function loadOrtApi(libraryPath: string): OrtApi {
  const cached = loaded.get(libraryPath);
  if (cached !== undefined) return cached;
  declareTypes();
  const library = koffi.load(libraryPath);
  const apiBase = koffi.struct({ GetApi: "void*", GetVersionString: "void*" });
  const base = koffi.decode(library.func("void* OrtGetApiBase()")(), apiBase) as {
    GetApi: unknown;
    GetVersionString: unknown;
  };
  const version = koffi.call(base.GetVersionString, koffi.proto("const char* GetVersionString()")) as string;
  const table = koffi.call(base.GetApi, koffi.proto("void* GetApi(uint32_t version)"), ORT_API_VERSION);
  if (table === null) {
    throw new Error(
      `${libraryPath} is onnxruntime ${version}, which does not offer C API version ${ORT_API_VERSION} (onnxruntime 1.29 or later is needed)`,
    );
  }
  const count = Math.max(...Object.values(FUNCTIONS).map(([index]) => index)) + 1;
  const pointers = koffi.decode(table, koffi.array("void*", count)) as unknown[];
  const fn = {} as Record<OrtFunctionName, OrtFunction>;
  for (const [name, [index]] of Object.entries(FUNCTIONS) as [OrtFunctionName, readonly [number, string]][]) {
    const prototype = prototypes.get(name);
    if (prototype === undefined) throw new Error(`no prototype declared for ${name}`);
    fn[name] = koffi.decode(pointers[index], prototype) as OrtFunction;
  }
  const api = { libraryPath, version, fn, library };
  loaded.set(libraryPath, api);
  return api;
}
