# SPDX-License-Identifier: Apache-2.0
# mod_bearer/sources.mk - the one list of the module's sources, included by
# Makefile.apxs (the module, the fault build, the unit tests), fuzz/fuzz.mk
# and bench/bench.mk.
#
#   BEARER_CORE_SRC  pure C (no httpd.h): unit-tested, fuzzed, benchmarked
#   BEARER_GLUE_SRC  Apache glue: hooks, directives, handlers, fleet client
#
# File names are unique across both lists: the fault build copies them flat.

BEARER_CORE_SRC = $(addprefix mod_bearer/core/, \
                    header.c scope.c token.c mac.c entry.c mint_request.c \
                    table.c fleet_record.c metrics.c mc_reply.c form.c)

BEARER_GLUE_SRC = $(addprefix mod_bearer/, \
                    mod_bearer.c config.c configcheck.c secrets.c \
                    credentials.c authn.c authz.c endpoint.c respond.c \
                    store.c kept_shm.c observe.c \
                    fleet_store.c mc_client.c \
                    oauth_request.c client_auth.c introspect.c revoke.c)

BEARER_SRC = $(BEARER_GLUE_SRC) $(BEARER_CORE_SRC)
BEARER_HDR = $(wildcard include/*.h mod_bearer/*.h)
