# SPDX-License-Identifier: Apache-2.0
# fuzz/fuzz.mk - libFuzzer targets for every parser and decoder of outside
# data (included by Makefile.apxs; see fuzz/README.md).
#
#   make -f Makefile.apxs fuzz          each target FUZZ_SECONDS (default 120)
#   make -f Makefile.apxs fuzz-ci       replay regressions + seeds, then all
#                                       targets FUZZ_CI_SECONDS in all (72:
#                                       8 s a target)
#   make -f Makefile.apxs fuzz-build    build only
#
# Built with Debian's clang and its runtime (packages clang,
# libclang-rt-14-dev): -fsanitize=fuzzer,address,undefined, every UBSan
# finding fatal. New inputs go to fuzz/.work/<target>/ (not in git); the
# seed corpus fuzz/corpus/<target>/ is only read.

FUZZ_CC        ?= clang
FUZZ_SECONDS   ?= 120
FUZZ_CI_SECONDS ?= 72
FUZZ_TARGETS   = header token id scope mint_request entry table fleet_record \
                 mc_reply cors_origin cidr scope_wildcard subject_query form
FUZZ_DIR       = fuzz/.build
FUZZ_CFLAGS    = -g -O1 -std=gnu99 -Iinclude -Ifuzz \
                 -fsanitize=fuzzer,address,undefined \
                 -fno-sanitize-recover=all -fno-omit-frame-pointer \
                 $(shell $(APR_CONFIG) --includes --cppflags)
FUZZ_LIBS      = -ljansson -lcrypto $(shell $(APR_CONFIG) --link-ld --libs)

# Every target links all the pure sources (mod_bearer/sources.mk); the
# linker keeps what the target calls.
FUZZ_BINS = $(addprefix $(FUZZ_DIR)/,$(FUZZ_TARGETS))

$(FUZZ_DIR)/%: fuzz/%.c fuzz/fuzz.h $(HDR) $(PURE_SRC) fuzz/fuzz.mk
	@mkdir -p $(FUZZ_DIR)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $< $(BEARER_CORE_SRC) $(FUZZ_LIBS)

fuzz-build: $(FUZZ_BINS)

# UBSan halts on its first finding; LeakSanitizer runs at the end of each
# input (libFuzzer's -detect_leaks=1 default).
FUZZ_ENV = ASAN_OPTIONS=abort_on_error=0:detect_leaks=1 \
           UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1

fuzz: fuzz-build
	@FUZZ_SECONDS=$(FUZZ_SECONDS) $(FUZZ_ENV) sh fuzz/run.sh run $(FUZZ_TARGETS)

fuzz-ci: fuzz-build
	@FUZZ_SECONDS=$$(( $(FUZZ_CI_SECONDS) / $(words $(FUZZ_TARGETS)) )) \
	    $(FUZZ_ENV) sh fuzz/run.sh ci $(FUZZ_TARGETS)

fuzz-clean:
	rm -rf $(FUZZ_DIR) fuzz/.work

.PHONY: fuzz fuzz-ci fuzz-build fuzz-clean
