#include <cstdio>

int main() {
  std::puts("stepfn: under construction");
  return 0;
}
