# SPDX-License-Identifier: Apache-2.0
# mod_bearer/sources.mk - the one list of the module's sources, included by
# Makefile.apxs (the module, the fault build, the unit tests), fuzz/fuzz.mk
# and bench/bench.mk.
#
#   BEARER_CORE_SRC  pure C (no httpd.h): unit-tested, fuzzed, benchmarked
#   BEARER_GLUE_SRC  Apache glue: hooks, directives, handlers, fleet client
#   BEARER_FAULT_SRC faults on demand for t/fault/: the fault build only
#                    (make fault-module), never the module that is installed
#
# File names are unique across both lists: the fault build copies them flat.

BEARER_CORE_SRC = $(addprefix mod_bearer/core/, bytes.c \
                    header.c scope.c token.c mac.c entry.c mint_request.c \
                    cidr.c subject.c form.c \
                    table.c fleet_record.c metrics.c mc_reply.c \
                    cors_origin.c)

BEARER_GLUE_SRC = $(addprefix mod_bearer/, \
                    mod_bearer.c config.c configcheck.c secrets.c \
                    credentials.c authn.c authz.c endpoint.c respond.c \
                    request_body.c \
                    store.c kept_shm.c observe.c \
                    subject_cutoff.c cidr_check.c entry_json.c cors.c \
                    oauth_request.c client_auth.c introspect.c revoke.c \
                    fleet_store.c fleet_subject.c fleet_refill.c \
                    mc_health.c mc_journal.c mc_conn.c mc_batch.c)

BEARER_FAULT_SRC = mod_bearer/fault.c

BEARER_SRC = $(BEARER_GLUE_SRC) $(BEARER_CORE_SRC)
BEARER_HDR = $(wildcard include/*.h mod_bearer/*.h)
