// frontend/deep_stack.cpp — see deep_stack.h.
#include "frontend/deep_stack.h"

#include <pthread.h>

namespace gradc::frontend {

namespace {

struct Job {
  const std::function<void()>* fn;
  std::exception_ptr error;
};

void* run_job(void* arg) {
  Job& job = *static_cast<Job*>(arg);
  try {
    (*job.fn)();
  } catch (...) {
    job.error = std::current_exception();
  }
  return nullptr;
}

}  // namespace

void run_on_deep_stack(const std::function<void()>& fn, size_t bytes) {
  Job job{&fn, nullptr};
  pthread_attr_t attr;
  pthread_t thread;
  bool started = pthread_attr_init(&attr) == 0;
  if (started) {
    started = pthread_attr_setstacksize(&attr, bytes) == 0 &&
              pthread_create(&thread, &attr, run_job, &job) == 0;
    pthread_attr_destroy(&attr);
  }
  if (!started) {  // no memory for the stack: parse here, within this thread's own limits
    fn();
    return;
  }
  pthread_join(thread, nullptr);
  if (job.error) std::rethrow_exception(job.error);
}

}  // namespace gradc::frontend
