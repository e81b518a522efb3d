// io/file_check.h — checking a skucast HDF5 file end to end (`skucast info --verify`) and
// converting version 1 files to version 2 (`skucast upgrade`); Note [File format 2] in io/h5.h.
#pragma once

#include <cstdint>
#include <string>

namespace skucast {

struct FileCheck {
  std::string format;       // root attribute `format` ("skucast-panel", ...)
  int64_t version = 0;      // root attribute `version`
  int64_t datasets = 0;     // datasets read
  int64_t checked = 0;      // of those, the ones whose chunks carry Fletcher32 checksums
  int64_t bytes = 0;        // bytes of data read (in memory, after decompression)
};

// Opens `path`, checks its root attributes (check_format with the file's own format), and
// reads every dataset in every group whole, in blocks of at most 64 MiB, so that every
// checksum in the file is verified. Throws InputError or IoError naming the file and the
// object at the first damage. Kind-specific checks (a panel's header, a model's layout) are
// the readers' own and are run by the caller.
FileCheck verify_hdf5(const std::string& path);

// Converts a version 1 file (variable-length strings, no checksums) to version 2 at `out`
// (written under a temporary name and renamed into place; `out` may be `path` itself): every
// group, attribute and dataset is copied, strings become fixed-length, datasets keep their
// chunk shape, deflate level and fill value and gain Fletcher32, and `version` becomes 2.
// The result is verified (verify_hdf5) before the rename. Refuses a file that is not version 1.
FileCheck upgrade_hdf5(const std::string& path, const std::string& out);

}  // namespace skucast
