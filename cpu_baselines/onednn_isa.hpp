#pragma once

// What oneDNN's CPU ISA (dnnl::get_effective_cpu_isa) says about its kernels (onednn_gemm.cpp).

#include <oneapi/dnnl/dnnl.hpp>

namespace flopbench {

// Whether oneDNN's INT8 kernels on `isa` multiply-add in INT32 (VNNI, AMX). Without, they pair
// products into saturating INT16 sums (vpmaddubsw), which oneDNN documents: full-range inputs
// would then verify as wrong through no fault of the hardware. Each ISA value is a bit mask
// holding the bits of every ISA it extends (dnnl_types.h), so an ISA newer than the oneDNN this
// was built with still holds VNNI's bits.
inline bool int8_accumulates_exactly(dnnl::cpu_isa isa) {
  const auto extends = [&](dnnl::cpu_isa older) {
    const auto bits = static_cast<unsigned>(older);
    return (static_cast<unsigned>(isa) & bits) == bits;
  };
  return extends(dnnl::cpu_isa::avx512_core_vnni) || extends(dnnl::cpu_isa::avx2_vnni);
}

}  // namespace flopbench
