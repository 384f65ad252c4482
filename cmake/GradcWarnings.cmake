# Warnings on for gradc's own code (LLVM's headers are included as SYSTEM).
function(gradc_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow
                         $<$<BOOL:${GRADC_WERROR}>:-Werror>)
endfunction()
option(GRADC_WERROR "Treat warnings as errors" OFF)
