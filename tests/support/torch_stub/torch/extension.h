/* torch/extension.h -- test stub (tests/support/torch_stub/README.md): not torch. */
#pragma once
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>

namespace c10
{
template <typename T> using optional = std::optional<T>;
typedef int8_t DeviceIndex;
enum class ScalarType {
    Byte,
    Char,
    Short,
    Int,
    Long,
    Half,
    Float,
    Double,
    Bool,
    BFloat16,
    Float8_e5m2,
    Float8_e4m3fn
};
inline std::ostream &operator<<(std::ostream &o, ScalarType t)
{
    return o << "dtype#" << (int)t;
}
template <typename... A> inline std::string str(const A &...a)
{
    std::ostringstream o;
    (void)std::initializer_list<int>{((o << a), 0)...};
    return o.str();
}
} // namespace c10

#define TORCH_CHECK(cond, ...)                                                                     \
    do {                                                                                           \
        if (!(cond)) throw std::runtime_error(::c10::str(__VA_ARGS__));                            \
    } while (0)

namespace at
{
using c10::ScalarType;
struct TensorOptions {
    ScalarType dtype_ = ScalarType::Float;
    int device_ = -1;
    TensorOptions dtype(ScalarType t) const
    {
        TensorOptions o = *this;
        o.dtype_ = t;
        return o;
    }
};
class Tensor
{
  public:
    bool is_cuda() const { return device_ >= 0; }
    int get_device() const { return device_; }
    ScalarType scalar_type() const { return dtype_; }
    int64_t dim() const { return ndim_; }
    int64_t size(int64_t d) const { return sizes_[d < 0 ? d + ndim_ : d]; }
    bool is_contiguous() const { return true; }
    void *data_ptr() const { return data_; }
    TensorOptions options() const
    {
        TensorOptions o;
        o.dtype_ = dtype_;
        o.device_ = device_;
        return o;
    }

  private:
    void *data_ = nullptr;
    int device_ = -1;
    ScalarType dtype_ = ScalarType::Float;
    int64_t ndim_ = 0, sizes_[8] = {0};
};
inline Tensor empty(std::initializer_list<int64_t>, const TensorOptions &)
{
    return Tensor();
}
} // namespace at

namespace torch
{
using at::empty;
using at::Tensor;
using c10::ScalarType;
constexpr ScalarType kUInt8 = ScalarType::Byte, kInt8 = ScalarType::Char,
                     kInt16 = ScalarType::Short, kInt32 = ScalarType::Int,
                     kInt64 = ScalarType::Long, kFloat16 = ScalarType::Half,
                     kFloat32 = ScalarType::Float, kFloat64 = ScalarType::Double,
                     kBool = ScalarType::Bool, kBFloat16 = ScalarType::BFloat16,
                     kFloat8_e5m2 = ScalarType::Float8_e5m2,
                     kFloat8_e4m3fn = ScalarType::Float8_e4m3fn;
} // namespace torch

/* pybind11's module macro, reduced to a registration the linker keeps. */
struct evo_stub_module {
    template <typename F> void def(const char *, F) {}
};
#define PYBIND11_CONCAT_(a, b) a##b
#define PYBIND11_CONCAT(a, b) PYBIND11_CONCAT_(a, b)
#define PYBIND11_MODULE(name, m)                                                                   \
    static void PYBIND11_CONCAT(evo_stub_init_, name)(evo_stub_module &);                          \
    extern "C" __attribute__((visibility("default"))) int PYBIND11_CONCAT(PyInit_, name)(void)     \
    {                                                                                              \
        evo_stub_module mod;                                                                       \
        PYBIND11_CONCAT(evo_stub_init_, name)(mod);                                                \
        return 0;                                                                                  \
    }                                                                                              \
    static void PYBIND11_CONCAT(evo_stub_init_, name)(evo_stub_module & m)
