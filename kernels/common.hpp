// kernels/common.hpp — error types and small checked helpers shared by every layer.
//
// Defines: skucast::Error (base), InputError (bad user input: file, line, series, value),
// IoError (a file could not be read or written), DeviceError (a CUDA/cuDNN/cuBLAS call
// failed, with file:line), and checked_mul / checked_cast for size arithmetic (STYLE M10).
// Library code throws; only tools/main.cpp turns an exception into an exit code.
#pragma once

#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>

namespace skucast {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Bad input from the user: a CSV row, a flag, a series. Exit code 2.
class InputError : public Error {
 public:
  using Error::Error;
};

// A file that cannot be opened, read or written. Exit code 3.
class IoError : public Error {
 public:
  using Error::Error;
};

// A device call failed. Exit code 4.
class DeviceError : public Error {
 public:
  using Error::Error;
};

// a * b for sizes, throwing instead of wrapping.
inline int64_t checked_mul(int64_t a, int64_t b) {
  if (a < 0 || b < 0) throw Error("checked_mul: negative size " + std::to_string(a) + " * " + std::to_string(b));
  if (a != 0 && b > std::numeric_limits<int64_t>::max() / a)
    throw Error("size overflow: " + std::to_string(a) + " * " + std::to_string(b));
  return a * b;
}

// Narrow an int64 to int at an API edge (cuDNN, BLAS), throwing when it does not fit.
inline int checked_int(int64_t v, const char* what) {
  if (v < std::numeric_limits<int>::min() || v > std::numeric_limits<int>::max())
    throw Error(std::string(what) + ": value " + std::to_string(v) + " does not fit in int");
  return static_cast<int>(v);
}

}  // namespace skucast
