// examples/embed.cpp — gradc as a C++ library: compile a formula once, then get
// its value and gradient at a point or over a million points.
#include <cstdio>
#include <vector>

#include "runtime/compile.h"

int main() {
  try {
    gradc::Function f = gradc::Function::compile("f = ln x + exp(y)*z");
    gradc::ValueAndGrad r = f.value_and_grad(std::vector<double>{1, 3, 2});
    std::printf("f(1, 3, 2) = %.17g\n", r.value);
    for (size_t i = 0; i < r.grad.size(); ++i)
      std::printf("df/d%s = %.17g\n", f.inputs()[i].c_str(), r.grad[i]);

    const int64_t n = 1'000'000;  // the batch entry point: columns in, columns out
    std::vector<double> x(n, 1.0), y(n, 3.0), z(n, 2.0), v(n), gx(n), gy(n), gz(n);
    const double* at[] = {x.data(), y.data(), z.data()};
    double* grad[] = {gx.data(), gy.data(), gz.data()};
    f.value_and_grad_batch(at, v.data(), grad, n);
    std::printf("batch of %lld points: f[0] = %.17g, df/dy[n-1] = %.17g\n",
                static_cast<long long>(n), v[0], gy[n - 1]);

    gradc::Function::compile("f = lnn(x)");  // a mistake: throws with the rendered error
  } catch (const gradc::Error& e) {
    std::fprintf(stderr, "%s", e.what());
  }
  return 0;
}
