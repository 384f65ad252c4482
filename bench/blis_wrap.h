// bench/blis_wrap.h — BLIS's header, included by full path (its directory also holds a cblas.h
// that would hide OpenBLAS's) and marked a system header to keep its warnings out of ours.
#pragma once
#pragma GCC system_header
#include GRADC_BLIS_H
