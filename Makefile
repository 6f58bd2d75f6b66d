# vecgraph: PGXS build plus the project's test, demo and benchmark entry points.
#
#   make            build the extension
#   make install    install it into the PostgreSQL found by pg_config
#   make test       build, install, run every test on a throwaway cluster
#   make demo       build, install, load vectors and query them
#   make bench      benchmarks (kept out of make test)
#   make soak       the five-minute soak test (its 30 s version is in make test)

EXTENSION = vecgraph
EXTVERSION = 0.6.0
MODULE_big = vecgraph

OBJS = \
	src/core/distance.o \
	src/core/distance_avx2.o \
	src/core/distance_avx512.o \
	src/core/distance_scalar.o \
	src/core/half.o \
	src/core/half_avx2.o \
	src/core/half_avx512.o \
	src/core/half_scalar.o \
	src/core/vg_alloc.o \
	src/core/vg_arena.o \
	src/core/vg_decimal.o \
	src/core/vg_heap.o \
	src/core/vg_hnsw.o \
	src/core/vg_hnsw_insert.o \
	src/core/vg_hnsw_repair.o \
	src/core/vg_links.o \
	src/core/vg_loser_tree.o \
	src/core/vg_prune.o \
	src/core/vg_tree.o \
	src/core/vg_vamana.o \
	src/core/vg_visited.o \
	src/halfvec.o \
	src/halfvec_agg.o \
	src/halfvec_ops.o \
	src/vecgraph.o \
	src/vector.o \
	src/vector_agg.o \
	src/vector_array.o \
	src/vector_ops.o \
	src/vgam.o \
	src/vgbuild.o \
	src/vgcost.o \
	src/vgexplain.o \
	src/vgfdw.o \
	src/vghealth.o \
	src/vginfo.o \
	src/vginsert.o \
	src/vgmaintain.o \
	src/vgnodecache.o \
	src/vgoptions.o \
	src/vgparallel.o \
	src/vgpaths.o \
	src/vgplanner.o \
	src/vgprewarm.o \
	src/vgscan.o \
	src/vgsearchpool.o \
	src/vgstats.o \
	src/vgstore.o \
	src/vgtesthooks.o \
	src/vgtuple.o \
	src/vgutils.o \
	src/vgvacuum.o \
	src/vgvalidate.o \
	src/vgvector.o \
	src/vgworker.o \
	src/vgwrite.o

# The install script is edited by hand under one name and copied to its
# versioned name at build time.  Older versions' install scripts stay as
# they were, beside the scripts that update from them.
DATA_built = $(EXTENSION)--$(EXTVERSION).sql
DATA = \
	install/$(EXTENSION)--0.1.0.sql \
	install/$(EXTENSION)--0.1.0--0.2.0.sql \
	install/$(EXTENSION)--0.2.0.sql \
	install/$(EXTENSION)--0.2.0--0.3.0.sql \
	install/$(EXTENSION)--0.3.0.sql \
	install/$(EXTENSION)--0.3.0--0.4.0.sql \
	install/$(EXTENSION)--0.4.0.sql \
	install/$(EXTENSION)--0.4.0--0.5.0.sql \
	install/$(EXTENSION)--0.5.0.sql \
	install/$(EXTENSION)--0.5.0--0.6.0.sql

REGRESS = \
	vector_io \
	vector_errors \
	vector_ops \
	vector_agg \
	halfvec_io \
	halfvec_ops \
	halfvec_agg \
	parallel_safety \
	vecgraph_build \
	vecgraph_scan \
	vecgraph_vacuum \
	vecgraph_parallel \
	vecgraph_half \
	vecgraph_vamana
REGRESS_OPTS = --inputdir=. --outputdir=$(or $(REGRESS_OUTDIR),.)
ISOLATION = vecgraph_concurrency
ISOLATION_OPTS = --load-extension=vecgraph $(if $(REGRESS_OUTDIR),--outputdir=$(REGRESS_OUTDIR)/isolation)

EXTRA_CLEAN = results regression.diffs regression.out .vg-test-hooks .vg-test-hooks-*

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs 2>/dev/null)

PG_CFLAGS += -Wextra -Wno-unused-parameter -Wno-sign-compare \
	-Wno-missing-field-initializers -Wno-cast-function-type
ifeq ($(WERROR),1)
PG_CFLAGS += -Werror
endif
# vgfdw.c talks to postgres_fdw's connections with libpq
PG_CPPFLAGS += -I$(shell $(PG_CONFIG) --includedir)
SHLIB_LINK += -lpq

# make test builds in the functions only tests may call (src/vgtesthooks.c);
# the stamp below rebuilds them when the setting changes.
VG_TEST_HOOKS ?= 0
ifeq ($(VG_TEST_HOOKS),1)
PG_CPPFLAGS += -DVG_TEST_HOOKS
endif

ifneq ($(PGXS),)
include $(PGXS)
else
# On a bare machine PostgreSQL's build files are not there yet: make test,
# make demo and make bench install them (as root) before they build; the
# build targets themselves say what to install.
all install installcheck:
	@echo "pg_config was not found: run 'make test' or 'make demo' as root, or install PostgreSQL's build files with: sudo apt-get install postgresql-15 postgresql-server-dev-15" >&2
	@exit 1
endif

# PGXS tracks no header dependencies; every object depends on every header.
$(OBJS): $(wildcard $(srcdir)/src/*.h $(srcdir)/src/core/*.h)

# The stamp holds the setting and is rewritten only when it changes.  It
# has to be remade on every run (FORCE): PGXS declares every target
# .SECONDARY, and make does not remake a missing secondary file for its own
# sake, so a stamp per setting was never created when the setting changed.
VG_HOOKS_STAMP = .vg-test-hooks
src/vgtesthooks.o src/vgsearchpool.o: $(VG_HOOKS_STAMP)
$(VG_HOOKS_STAMP): FORCE
	@echo $(VG_TEST_HOOKS) | cmp -s - $@ || echo $(VG_TEST_HOOKS) > $@
.PHONY: FORCE
FORCE:

# The core never sees PostgreSQL's headers: a stray include is a build error.
src/core/%.o: override CPPFLAGS = -I$(srcdir)/src/core

$(EXTENSION)--$(EXTVERSION).sql: install/$(EXTENSION).sql
	cp $< $@

.PHONY: test demo bench soak

test:
	bash scripts/run-tests.sh

demo:
	bash scripts/demo.sh

bench:
	bash scripts/bench.sh

soak:
	bash scripts/soak.sh
