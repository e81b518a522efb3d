// io/file_kind.h — what kind of skucast file a path holds, so commands that take "a panel
// or a forecast" (info, export) can dispatch on it.
#pragma once

#include <string>

namespace skucast {

// The root `format` attribute of an HDF5 file ("skucast-panel", "skucast-forecast", ...),
// or "" when it has none. Throws IoError when the file cannot be read, InputError when it
// is not HDF5. Defined in io/forecast_file.cpp.
std::string hdf5_format(const std::string& path);

}  // namespace skucast
