// exchangePaths(a, b): swap two directory entries atomically (Linux renameat2 RENAME_EXCHANGE).
// It lets a writer put its new file in place and get back exactly the file it displaced, so a
// change made after the last read is detected and swapped back instead of overwritten.
#include <napi.h>

#include <cerrno>
#include <cstring>
#include <string>
#if defined(__linux__)
#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

namespace se {

Napi::Value ExchangePaths(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() != 2 || !info[0].IsString() || !info[1].IsString()) {
    throw Napi::TypeError::New(env, "exchangePaths(a, b) takes two paths");
  }
  std::string a = info[0].As<Napi::String>();
  std::string b = info[1].As<Napi::String>();
  int err = ENOSYS;
#if defined(__linux__) && defined(SYS_renameat2)
  // The raw syscall: glibc's renameat2 wrapper needs glibc 2.28; the flag is stable kernel ABI.
  constexpr unsigned kRenameExchange = 1u << 1;
  err = syscall(SYS_renameat2, AT_FDCWD, a.c_str(), AT_FDCWD, b.c_str(), kRenameExchange) == 0 ? 0 : errno;
#endif
  if (err != 0) {
    Napi::Error e = Napi::Error::New(env, std::string("exchangePaths: ") + std::strerror(err));
    e.Set("code", Napi::String::New(env, err == ENOSYS ? "ENOSYS" : err == EINVAL ? "EINVAL" : err == ENOENT ? "ENOENT" : err == EXDEV ? "EXDEV" : "EIO"));
    e.Set("errno", Napi::Number::New(env, err));
    throw e;
  }
  return env.Undefined();
}

}  // namespace se
