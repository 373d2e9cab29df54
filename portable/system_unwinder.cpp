// The portable build's exception unwinder: the system's libgcc_s.so.1, opened at run
// time, for the program's own exceptions as for every C++ handler's
// (cmake/portable-binary.cmake). Each _Unwind_* function the statically linked
// libstdc++ calls is defined here and forwards to libgcc_s's, so the linker takes no
// unwinder from libgcc_eh.a.
//
// Why not libgcc_eh.a's copy: an exception a handler throws is raised by libgcc_s (the
// handler's libstdc++.so calls it), which then runs the server's personality routine
// for the server's frames; that routine would call the static copy's _Unwind_SetGR on
// libgcc_s's private _Unwind_Context. The static copy fills its register-size table
// only when it starts an unwind itself, so until the server has thrown once, SetGR
// finds size 0 and aborts (gcc_assert); even with the table filled, the two copies
// would have to agree on a structure that is private to each libgcc version. GCC's
// manual: a program that catches exceptions thrown in shared libraries must use the
// shared libgcc. Here it does, without naming it in the ELF file: glibc opens the same
// file itself (thread cancellation, backtrace), and every glibc system has it.
#include <cstdio>
#include <cstdlib>
#include <dlfcn.h>
#include <unwind.h>

namespace {

// Never closed: the unwinder serves the process to its end, exit handlers included.
void *system_libgcc_s() {
  static void *const library = [] {
    void *opened = dlopen("libgcc_s.so.1", RTLD_NOW | RTLD_LOCAL);
    if (opened == nullptr) {
      // No exception can be thrown without an unwinder, and none may be thrown here.
      std::fprintf(stderr, "flexilib: cannot open GCC's unwinder: %s\n", dlerror());
      std::abort();
    }
    return opened;
  }();
  return library;
}

template <typename Function> Function libgcc_s_function(const char *name) {
  void *found = dlsym(system_libgcc_s(), name);
  if (found == nullptr) {
    std::fprintf(stderr, "flexilib: libgcc_s.so.1 has no %s\n", name);
    std::abort();
  }
  return reinterpret_cast<Function>(found);
}

// Opened at start-up, as the dynamic loader would open a needed library: a system
// without it is reported at once, not at the first exception.
[[gnu::constructor]] void open_unwinder_at_start() {
  system_libgcc_s();
}

} // namespace

// One forwarder: the function of the same name and type in libgcc_s, looked up once.
// Optimised, a tail call; unoptimised, its frame is unwound like any other.
#define FORWARD_TO_LIBGCC_S(result, name, parameters, arguments)                                   \
  extern "C" result name parameters {                                                              \
    static const auto real = libgcc_s_function<result(*) parameters>(#name);                       \
    return real arguments;                                                                         \
  }

FORWARD_TO_LIBGCC_S(_Unwind_Reason_Code, _Unwind_RaiseException, (_Unwind_Exception * e), (e))
FORWARD_TO_LIBGCC_S(_Unwind_Reason_Code, _Unwind_ForcedUnwind,
                    (_Unwind_Exception * e, _Unwind_Stop_Fn stop, void *argument),
                    (e, stop, argument))
FORWARD_TO_LIBGCC_S(void, _Unwind_Resume, (_Unwind_Exception * e), (e))
FORWARD_TO_LIBGCC_S(_Unwind_Reason_Code, _Unwind_Resume_or_Rethrow, (_Unwind_Exception * e), (e))
FORWARD_TO_LIBGCC_S(void, _Unwind_DeleteException, (_Unwind_Exception * e), (e))
FORWARD_TO_LIBGCC_S(_Unwind_Reason_Code, _Unwind_Backtrace,
                    (_Unwind_Trace_Fn trace, void *argument), (trace, argument))
FORWARD_TO_LIBGCC_S(_Unwind_Word, _Unwind_GetGR, (_Unwind_Context * context, int index),
                    (context, index))
FORWARD_TO_LIBGCC_S(void, _Unwind_SetGR, (_Unwind_Context * context, int index, _Unwind_Word value),
                    (context, index, value))
FORWARD_TO_LIBGCC_S(_Unwind_Ptr, _Unwind_GetIP, (_Unwind_Context * context), (context))
FORWARD_TO_LIBGCC_S(_Unwind_Ptr, _Unwind_GetIPInfo,
                    (_Unwind_Context * context, int *before_instruction),
                    (context, before_instruction))
FORWARD_TO_LIBGCC_S(void, _Unwind_SetIP, (_Unwind_Context * context, _Unwind_Ptr value),
                    (context, value))
FORWARD_TO_LIBGCC_S(_Unwind_Word, _Unwind_GetCFA, (_Unwind_Context * context), (context))
FORWARD_TO_LIBGCC_S(void *, _Unwind_GetLanguageSpecificData, (_Unwind_Context * context), (context))
FORWARD_TO_LIBGCC_S(_Unwind_Ptr, _Unwind_GetRegionStart, (_Unwind_Context * context), (context))
FORWARD_TO_LIBGCC_S(_Unwind_Ptr, _Unwind_GetDataRelBase, (_Unwind_Context * context), (context))
FORWARD_TO_LIBGCC_S(_Unwind_Ptr, _Unwind_GetTextRelBase, (_Unwind_Context * context), (context))
FORWARD_TO_LIBGCC_S(void *, _Unwind_FindEnclosingFunction, (void *address), (address))
