# SPDX-License-Identifier: Apache-2.0
# bench/bench.mk - the benchmark's targets, included by Makefile.apxs.
#
#   make -f Makefile.apxs bench          full run (docs/benchmarks.md + PNG)
#   make -f Makefile.apxs bench BENCH_QUICK=1      smoke check, docs untouched
#   make -f Makefile.apxs bench BENCH_ONLY=fleet0,oidcmc   those cases and the
#                                        baseline, docs untouched
#   make -f Makefile.apxs bench-micro    callgrind: instructions per validation
#   make -f Makefile.apxs bench-request  callgrind: instructions per request in httpd
#   make -f Makefile.apxs bench-unprotected  callgrind: mod_bearer's code in a request it does not protect
#   make -f Makefile.apxs bench-scaling  one token from 1 and 2 cores: lanes vs shared counters
#   make -f Makefile.apxs bench-soak     10 min at full load: RSS per child
#
# Variables: BENCH_ROUNDS, BENCH_DURATION (s), BENCH_THREADS, BENCH_CONNS,
# BENCH_SOAK (s). Needs: sudo sh bench/deps.sh (wrk, gnuplot, peers, ...).

BENCH_PY      = /usr/bin/python3 bench/run.py
BENCH_CFLAGS  = -std=gnu99 -g -O2 $(WARN) -Iinclude
BENCH_BIN     = bench/.build
BENCH_ARGS    = $(if $(BENCH_QUICK),--quick) \
                $(if $(BENCH_ONLY),--only $(BENCH_ONLY)) \
                $(if $(BENCH_ROUNDS),--rounds $(BENCH_ROUNDS)) \
                $(if $(BENCH_DURATION),--duration $(BENCH_DURATION)) \
                $(if $(BENCH_THREADS),--threads $(BENCH_THREADS)) \
                $(if $(BENCH_CONNS),--connections $(BENCH_CONNS))

# Both programs link the module's pure sources (mod_bearer/sources.mk);
# microbench and scaling share bench/bench_path.h (the table, the validation).
BENCH_LIBS    = -ljansson -lcrypto -lpthread \
                $(shell $(APR_CONFIG) --link-ld --libs)
BENCH_INC     = $(shell $(APR_CONFIG) --includes --cppflags)

$(BENCH_BIN)/%: bench/%.c bench/bench_path.h $(BEARER_CORE_SRC) $(HDR)
	@mkdir -p $(BENCH_BIN)
	$(CC) $(BENCH_CFLAGS) $(BENCH_INC) -o $@ $< $(BEARER_CORE_SRC) $(BENCH_LIBS)

bench: $(MODULE) $(BENCH_BIN)/loader
	$(BENCH_PY) $(BENCH_ARGS)

bench-soak: $(MODULE) $(BENCH_BIN)/loader
	$(BENCH_PY) --soak $(or $(BENCH_SOAK),600) $(BENCH_ARGS)

bench-micro: $(BENCH_BIN)/microbench
	$(BENCH_PY) --micro $(BENCH_BIN)/microbench $(if $(BENCH_QUICK),--quick)

bench-scaling: $(BENCH_BIN)/scaling
	$(BENCH_BIN)/scaling $(or $(BENCH_DURATION),1) $(or $(BENCH_ROUNDS),5)

bench-request: $(MODULE)
	/usr/bin/python3 bench/request_instructions.py $(if $(BENCH_QUICK),--quick)

bench-unprotected: $(MODULE)
	sh bench/unprotected_cost.sh

.PHONY: bench bench-soak bench-micro bench-request bench-unprotected bench-scaling
