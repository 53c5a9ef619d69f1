// oneDNN matmul: BF16 and FP16 GEMMs into FP32 and INT8 GEMMs into INT32, on whatever matrix or
// dot-product units oneDNN dispatches to (AMX, AVX-512 BF16/FP16/VNNI). oneDNN is optional, like
// OpenBLAS: without it the implementation is listed and reported as unsupported.
#include <fmt/format.h>

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "harness/core/registry.hpp"

#if FLOPBENCH_HAVE_DNNL
#include <oneapi/dnnl/dnnl.hpp>

#include "cpu_baselines/onednn_isa.hpp"
#endif

namespace flopbench {
namespace {

ImplementationSpec onednn_spec() {
  ImplementationSpec spec{.name = "onednn",
                          .device = DeviceKind::cpu,
                          .description = "oneDNN matmul: BF16, FP16 into FP32; INT8 into INT32",
                          .library = "oneDNN"};
#if FLOPBENCH_HAVE_DNNL
  const dnnl_version_t* v = dnnl_version();
  spec.library_version = fmt::format("{}.{}.{}", v->major, v->minor, v->patch);
#endif
  return spec;
}

#if FLOPBENCH_HAVE_DNNL
using DataType = dnnl::memory::data_type;

template <class V>
constexpr DataType data_type_of() {
  if constexpr (std::is_same_v<V, Bf16>) {
    return DataType::bf16;
  } else if constexpr (std::is_same_v<V, Fp16>) {
    return DataType::f16;
  } else if constexpr (std::is_same_v<V, std::int8_t>) {
    return DataType::s8;
  } else if constexpr (std::is_same_v<V, float>) {
    return DataType::f32;
  } else {
    static_assert(std::is_same_v<V, std::int32_t>, "no oneDNN type for this element");
    return DataType::s32;
  }
}

std::string isa_name(dnnl::cpu_isa isa) {
  switch (isa) {
    case dnnl::cpu_isa::all:
      return "all";
    case dnnl::cpu_isa::sse41:
      return "sse41";
    case dnnl::cpu_isa::avx:
      return "avx";
    case dnnl::cpu_isa::avx2:
      return "avx2";
    case dnnl::cpu_isa::avx512_mic:
      return "avx512_mic";
    case dnnl::cpu_isa::avx512_mic_4ops:
      return "avx512_mic_4ops";
    case dnnl::cpu_isa::avx512_core:
      return "avx512_core";
    case dnnl::cpu_isa::avx512_core_vnni:
      return "avx512_core_vnni";
    case dnnl::cpu_isa::avx512_core_bf16:
      return "avx512_core_bf16";
    case dnnl::cpu_isa::avx512_core_amx:
      return "avx512_core_amx";
    case dnnl::cpu_isa::avx2_vnni:
      return "avx2_vnni";
  }
  return fmt::format("cpu_isa {}", static_cast<int>(isa));
}

const dnnl::engine& cpu_engine() {
  static const dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  return engine;
}

// The matmul of column-major A (m x k), B (k x n) and C (m x n). oneDNN's fast kernels (brgemm)
// take row-major operands, and a column-major C = A * B is the row-major C^T = B^T * A^T: B^T
// (n x k) is the source, A^T (k x m) the weights, C^T (n x m) the destination, with no copy.
// alpha is the output scale and beta a sum post-op; integer GEMMs (alpha 1, beta 0) take
// neither, so their INT32 result is never rounded through FP32.
template <class T>
dnnl::matmul::primitive_desc matmul_desc(std::int64_t m, std::int64_t n, std::int64_t k,
                                         double alpha, double beta) {
  constexpr DataType in = data_type_of<input_t<T>>();
  const dnnl::memory::desc b_t({n, k}, in, {k, 1});
  const dnnl::memory::desc a_t({k, m}, in, {m, 1});
  const dnnl::memory::desc c_t({n, m}, data_type_of<accumulator_t<T>>(), {m, 1});
  dnnl::primitive_attr attr;
  if (alpha != 1) attr.set_output_scales(0, {static_cast<float>(alpha)});
  if (beta != 0) {
    dnnl::post_ops sum;
    sum.append_sum(static_cast<float>(beta));
    attr.set_post_ops(sum);
  }
  return dnnl::matmul::primitive_desc(dnnl::matmul::desc(b_t, a_t, c_t), attr, cpu_engine());
}

template <class T>
class OneDnnGemm final : public GemmKernel<T> {
 public:
  void setup(const GemmInputs<T>& in) override {
    c_ = HostBuffer<accumulator_t<T>>(in.c.size());
    std::copy_n(in.c.data(), in.c.size(), c_.data());
    desc_ = matmul_desc<T>(in.m, in.n, in.k, in.alpha, in.beta);
    matmul_ = dnnl::matmul(desc_);
    // oneDNN takes non-const handles; it only reads its sources.
    b_t_ = dnnl::memory(desc_.src_desc(), cpu_engine(), const_cast<input_t<T>*>(in.b.data()));
    a_t_ = dnnl::memory(desc_.weights_desc(), cpu_engine(), const_cast<input_t<T>*>(in.a.data()));
    c_memory_ = dnnl::memory(desc_.dst_desc(), cpu_engine(), c_.data());
  }
  void run() override {
    matmul_.execute(stream_,
                    {{DNNL_ARG_SRC, b_t_}, {DNNL_ARG_WEIGHTS, a_t_}, {DNNL_ARG_DST, c_memory_}});
    stream_.wait();
  }
  void read_c(std::span<accumulator_t<T>> out) override {
    std::copy_n(c_.data(), out.size(), out.data());
  }
  // The kernel oneDNN chose names its ISA ("brg:avx512_core_amx"): the peak counts AMX only
  // where it runs on the tiles, not wherever the CPU has them (ONEDNN_MAX_CPU_ISA, a kernel
  // without AMX state, a shape it leaves to another kernel).
  std::optional<bool> uses_amx() const override {
    return std::string(desc_.impl_info_str()).find("amx") != std::string::npos;
  }
  // The ISA oneDNN dispatches to and the kernel it chose: what the % of peak is a share of.
  std::vector<std::string> notes() const override {
    return {fmt::format("oneDNN ISA {} (dnnl::get_effective_cpu_isa), matmul kernel {}",
                        isa_name(dnnl::get_effective_cpu_isa()), desc_.impl_info_str())};
  }

 private:
  dnnl::stream stream_{cpu_engine()};
  HostBuffer<accumulator_t<T>> c_;
  dnnl::matmul::primitive_desc desc_;
  dnnl::matmul matmul_;
  dnnl::memory b_t_, a_t_, c_memory_;
};

// Why oneDNN cannot run a precision on this CPU (INT8 without exact accumulation, or no matmul
// for the type here); "" when it can.
template <class... Ts>
std::string why_unavailable(Precision p) {
  std::string why;
  if (p == Precision::int8 && !int8_accumulates_exactly(dnnl::get_effective_cpu_isa())) {
    return fmt::format(
        "oneDNN's INT8 matmul on ISA {} sums products in saturating INT16 (no VNNI or AMX)",
        isa_name(dnnl::get_effective_cpu_isa()));
  }
  const auto probe = [&]<class T>(T*) {
    if (precision_of<T>() != p) return;
    try {
      matmul_desc<T>(64, 64, 64, 1, 0);
    } catch (const dnnl::error& e) {
      why = fmt::format("oneDNN {} has no {} matmul for this CPU (ISA {}): {}",
                        onednn_spec().library_version, precision_label(p),
                        isa_name(dnnl::get_effective_cpu_isa()), e.what());
    }
  };
  (probe(static_cast<Ts*>(nullptr)), ...);
  return why;
}

template <class... Ts>
Implementation onednn_implementation() {
  Implementation impl = make_implementation<workloads::Gemm, OneDnnGemm, Ts...>(onednn_spec());
  impl.unavailable_reason = why_unavailable<Ts...>;
  return impl;
}
#endif

}  // namespace

#if FLOPBENCH_HAVE_DNNL
FLOPBENCH_REGISTER(onednn_implementation<Bf16, Fp16, std::int8_t>())
#else
FLOPBENCH_REGISTER(unavailable_implementation(
    WorkloadId::gemm,
    [] {
      ImplementationSpec spec = onednn_spec();
      spec.precisions = {Precision::bf16, Precision::fp16, Precision::int8};
      return spec;
    }(),
    "built without oneDNN (install libdnnl-dev and rebuild)"))
#endif

}  // namespace flopbench
