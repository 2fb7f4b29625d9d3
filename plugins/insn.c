/*
 * insn: count executed instructions per vCPU, optionally watching some of them.
 *
 * Arguments:
 *   inline=on|off     count with an inline per-vCPU add instead of a callback
 *   sizes=on|off      report instead how many instructions of each length were translated
 *   match=PREFIX      watch instructions whose disassembly starts with PREFIX (repeatable)
 *   trace=on|off      print a line at every execution of a watched instruction
 * Every instruction is counted before it executes. Report (at exit):
 *     cpu <i> insns: <n>          for each vCPU
 *     total insns: <n>
 * or with sizes=on, "len <bytes> bytes: <n> insns" per length seen. Then for each match:
 *     Match: <prefix>, hits <n>
 *       <vaddr>: <disas> (hits <n>)      for each watched instruction of that match
 */

#include <plugin.h>
#include "util.h"

QEMU_PLUGIN_EXPORT int qemu_plugin_version = QEMU_PLUGIN_VERSION;

enum { MAX_INSN_BYTES = 16 };

/* Per vCPU and match: hits, the instruction count at the last hit, summed gaps between hits. */
typedef struct {
    uint64_t hits;
    uint64_t last_hit;
    uint64_t total_delta;
} MatchCount;

typedef struct {
    const char *prefix;
    struct qemu_plugin_scoreboard *counts;     /* MatchCount per vCPU */
} Match;

/* One watched instruction, found at translation: an address and its disassembly. */
typedef struct Record {
    Match *match;           /* the match that first selected it */
    uint64_t vaddr;
    char *disas;
    uint64_t hits;          /* over all vCPUs */
    struct Record *next;    /* another record whose key hashes the same */
} Record;

static bool use_inline;
static bool report_sizes;
static bool trace;
static qemu_plugin_u64 insn_count;
static unsigned long size_counts[MAX_INSN_BYTES + 1];
static Match *matches;
static size_t n_matches;
static Record **records;    /* in creation order */
static size_t n_records;
static Map records_by_key;  /* (vaddr, hash of disas) -> chain of records */

static void insn_exec(unsigned int vcpu_index, void *userdata)
{
    (void)userdata;
    qemu_plugin_u64_add(insn_count, vcpu_index, 1);
}

static void matched_exec(unsigned int vcpu_index, void *userdata)
{
    Record *r = (Record *)userdata;
    MatchCount *mc = (MatchCount *)qemu_plugin_scoreboard_find(r->match->counts, vcpu_index);
    uint64_t now = qemu_plugin_u64_get(insn_count, vcpu_index);
    uint64_t delta = now - mc->last_hit;

    r->hits++;
    mc->hits++;
    mc->last_hit = now;
    mc->total_delta += delta;

    if (trace) {
        StrBuf line = {0};
        sb_printf(&line, "0x%" PRIx64 ", '%s', %" PRId64 " hits", r->vaddr, r->disas,
                  (int64_t)r->hits);
        sb_printf(&line, " , cpu %u, %" PRId64 " match hits, \xce\x94+%" PRId64
                  " since last match, %" PRId64 " avg insns/match\n",
                  vcpu_index, (int64_t)mc->hits, (int64_t)delta,
                  (int64_t)(mc->total_delta / mc->hits));
        qemu_plugin_outs(sb_str(&line));
        sb_free(&line);
    }
}

/* The record of (vaddr, disas), created (and announced) the first time it matches. */
static uint64_t string_hash(const char *s)
{
    uint64_t h = 0xcbf29ce484222325ull;     /* FNV-1a */
    for (; *s; s++) {
        h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
    }
    return h;
}

static Record *record_for(uint64_t vaddr, const char *disas, Match *m)
{
    uint64_t key = string_hash(disas);
    Record *first = (Record *)map_get(&records_by_key, vaddr, key);
    for (Record *r = first; r; r = r->next) {
        if (r->vaddr == vaddr && strcmp(r->disas, disas) == 0) {
            return r;
        }
    }
    Record *r = (Record *)xcalloc(1, sizeof(*r));
    r->match = m;
    r->vaddr = vaddr;
    r->disas = xstrdup(disas);
    records = (Record **)xrealloc(records, (n_records + 1) * sizeof(*records));
    records[n_records++] = r;
    if (first) {
        r->next = first->next;      /* the chain's head stays the map's value */
        first->next = r;
    } else {
        map_put_new(&records_by_key, vaddr, key, r);
    }

    StrBuf line = {0};
    sb_printf(&line, "Created record for: %" PRIx64 " %s\n", vaddr, disas);
    qemu_plugin_outs(sb_str(&line));
    sb_free(&line);
    return r;
}

static void block_trans(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
    size_t n = qemu_plugin_tb_n_insns(tb);

    (void)id;
    for (size_t i = 0; i < n; i++) {
        struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);

        /* Counting goes first, so a watched instruction's count includes itself. */
        if (use_inline) {
            qemu_plugin_register_vcpu_insn_exec_inline_per_vcpu(
                insn, QEMU_PLUGIN_INLINE_ADD_U64, insn_count, 1);
        } else {
            qemu_plugin_register_vcpu_insn_exec_cb(insn, insn_exec, QEMU_PLUGIN_CB_NO_REGS,
                                                   NULL);
        }

        if (report_sizes) {
            size_t size = qemu_plugin_insn_size(insn);
            size_counts[size <= MAX_INSN_BYTES ? size : 0]++;
        }

        if (n_matches) {
            char *disas = qemu_plugin_insn_disas(insn);
            uint64_t vaddr = qemu_plugin_insn_vaddr(insn);
            for (size_t j = 0; disas && j < n_matches; j++) {
                if (strncmp(disas, matches[j].prefix, strlen(matches[j].prefix)) == 0) {
                    Record *r = record_for(vaddr, disas, &matches[j]);
                    qemu_plugin_register_vcpu_insn_exec_cb(insn, matched_exec,
                                                           QEMU_PLUGIN_CB_NO_REGS, r);
                }
            }
            free(disas);
        }
    }
}

static void report(qemu_plugin_id_t id, void *userdata)
{
    StrBuf out = {0};

    (void)id;
    (void)userdata;
    if (report_sizes) {
        for (int size = 0; size <= MAX_INSN_BYTES; size++) {
            if (size_counts[size]) {
                sb_printf(&out, "len %d bytes: %ld insns\n", size, (long)size_counts[size]);
            }
        }
    } else {
        for (int i = 0; i < qemu_plugin_num_vcpus(); i++) {
            sb_printf(&out, "cpu %d insns: %" PRIu64 "\n", i,
                      qemu_plugin_u64_get(insn_count, (unsigned)i));
        }
        sb_printf(&out, "total insns: %" PRIu64 "\n", qemu_plugin_u64_sum(insn_count));
    }
    qemu_plugin_outs(sb_str(&out));

    for (size_t i = 0; i < n_matches; i++) {
        Match *m = &matches[i];
        qemu_plugin_u64 hits = qemu_plugin_scoreboard_u64_in_struct(m->counts, MatchCount, hits);
        sb_clear(&out);
        sb_printf(&out, "Match: %s, hits %" PRId64 "\n", m->prefix,
                  (int64_t)qemu_plugin_u64_sum(hits));
        qemu_plugin_outs(sb_str(&out));
        for (size_t j = 0; j < n_records; j++) {
            Record *r = records[j];
            if (r->match == m) {
                sb_clear(&out);
                sb_printf(&out, "  %" PRIx64 ": %s (hits %" PRId64 ")\n", r->vaddr, r->disas,
                          (int64_t)r->hits);
                qemu_plugin_outs(sb_str(&out));
            }
        }
    }
    sb_free(&out);
}

QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info,
                                           int argc, char **argv)
{
    (void)info;
    matches = (Match *)xcalloc((size_t)argc, sizeof(*matches));
    for (int i = 0; i < argc; i++) {
        const char *opt = argv[i], *val;
        if (arg_key_is(opt, "inline", &val)) {
            if (!arg_bool(opt, "inline", val, &use_inline)) {
                return -1;
            }
        } else if (arg_key_is(opt, "sizes", &val)) {
            if (!arg_bool(opt, "sizes", val, &report_sizes)) {
                return -1;
            }
        } else if (arg_key_is(opt, "trace", &val)) {
            if (!arg_bool(opt, "trace", val, &trace)) {
                return -1;
            }
        } else if (arg_key_is(opt, "match", &val)) {
            matches[n_matches].prefix = val ? val : "";
            matches[n_matches].counts = qemu_plugin_scoreboard_new(sizeof(MatchCount));
            n_matches++;
        } else {
            return arg_unknown(opt);
        }
    }
    insn_count = qemu_plugin_scoreboard_u64(qemu_plugin_scoreboard_new(sizeof(uint64_t)));
    qemu_plugin_register_vcpu_tb_trans_cb(id, block_trans);
    qemu_plugin_register_atexit_cb(id, report, NULL);
    return 0;
}
