# SPDX-License-Identifier: Apache-2.0
# t/sanitize/sanitize.mk - the Apache::Test suite with mod_bearer built
# under AddressSanitizer + UndefinedBehaviorSanitizer and loaded into httpd
# (included by Makefile.apxs; see docs/hardening.md).
#
#   make -f Makefile.apxs sanitize-test
#
# The whole checkout (but .git and build output) is copied to SAN_DIR, the module built there with
# gcc's -fsanitize=address,undefined, and the suite run from there with
# every httpd (Apache::Test's, BearerTest::Httpd's, the demo's) started
# through t/sanitize/httpd-asan, which preloads gcc's libasan. Reports go
# to a log directory, one file a process; t/sanitize/check reads them.
# The normal build in this checkout is left alone.

SAN_DIR     ?= .sanitize
SAN_CFLAGS   = -fsanitize=address,undefined -fno-sanitize-recover=undefined \
               -fno-omit-frame-pointer -g -O1
# nodelete: httpd unloads modules at each restart; a leak report about
# memory allocated by an unloaded module could not name its code.
SAN_LDFLAGS  = -Wl,-z,nodelete -lasan -lubsan

sanitize-test:
	@rm -rf $(SAN_DIR)
	@mkdir -p $(SAN_DIR)
	@tar -cf - --exclude=./.git --exclude=./$(SAN_DIR) --exclude=./fuzz/.work \
	    --exclude=./fuzz/.build --exclude=./t/logs --exclude=./t/.build \
	    --exclude=./t/unit/.build --exclude=./mod_bearer/.libs . \
	    | (cd $(SAN_DIR) && tar -xf -)
	@cd $(SAN_DIR) && rm -rf mod_bearer/*.la mod_bearer/*.lo mod_bearer/*.slo mod_bearer/core/*.lo \
	    mod_bearer/core/*.slo mod_bearer/core/*.o mod_bearer/core/.libs \
	    mod_bearer/*.o t/TEST t/conf/httpd.conf t/conf/extra.conf \
	    t/conf/apache_test_config.pm t/conf/mime.types
	@echo "sanitize-test: building mod_bearer under ASan+UBSan in $(SAN_DIR) (log: $(SAN_DIR)/build.log)"
	@$(MAKE) -C $(SAN_DIR) -f Makefile.apxs all fault-module \
	    MODULE_CFLAGS="$(SAN_CFLAGS)" MODULE_LDFLAGS="$(SAN_LDFLAGS)" \
	    > $(SAN_DIR)/build.log 2>&1 || { tail -40 $(SAN_DIR)/build.log; exit 1; }
	cd $(SAN_DIR) && sh t/sanitize/run-suite $(SAN_TESTS)

sanitize-clean:
	rm -rf $(SAN_DIR) t/sanitize/.httpd-asan

.PHONY: sanitize-test sanitize-clean
