// tools/gradc/tensor_output.cpp — printing and saving results.
#include "tools/gradc/tensor_output.h"

#include <fmt/format.h>

#include <filesystem>

#include "runtime/npy.h"
#include "runtime/tensor_text.h"
#include "tools/gradc/driver.h"

namespace gradc::cli {

std::string text_result(const std::string& name, const runtime::Tensor& v, ir::DType t, size_t width) {
  const std::string shown = v.shape.empty() ? format_number(v.data.at(0), t)
                                            : runtime::format_tensor_text(v, t == ir::DType::F32);
  return fmt::format("{:<{}} = {}", name, width, shown);
}

std::string json_result(const runtime::Tensor& v, ir::DType t) {
  return v.shape.empty() ? json_number(v.data.at(0), t) : runtime::format_tensor_json(v, t == ir::DType::F32);
}

void make_output_dir(const std::string& dir, const std::string& option) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec || !std::filesystem::is_directory(dir, ec))
    throw UsageError(fmt::format("{}: cannot create directory '{}': {}", option, dir,
                                 ec ? ec.message() : "a file of that name exists"));
}

void save_result(const std::string& dir, const std::string& file, const runtime::Tensor& v, ir::DType t) {
  const std::string path = (std::filesystem::path(dir) / file).string();
  try {
    if (t == ir::DType::F32) {
      runtime::write_npy(path, runtime::make_npy(v.shape, std::vector<float>(v.data.begin(), v.data.end())));
    } else {
      runtime::write_npy(path, runtime::make_npy(v.shape, v.data));
    }
  } catch (const std::exception& e) {
    throw UsageError(fmt::format("--save-dir: cannot write {}: {}", path, e.what()));
  }
}

}  // namespace gradc::cli
