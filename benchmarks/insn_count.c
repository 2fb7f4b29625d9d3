/* A QEMU TCG plugin that counts the guest instructions executed, exactly: an inline add on
   every instruction (no callback), the total printed at exit. Written against the plugin API
   of QEMU 7.2 (version 1), whose few declarations it needs are repeated here because Debian's
   QEMU ships no qemu-plugin.h. Used by run.py only to check the instruction count, never
   while timing.

   Build: cc -shared -fPIC -O2 insn_count.c -o libinsn_count.so
   Use:   qemu-system-aarch64 ... -plugin ./libinsn_count.so,outfile=FILE */
#include <inttypes.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

typedef uint64_t qemu_plugin_id_t;
typedef struct qemu_info_t qemu_info_t;
struct qemu_plugin_tb;
struct qemu_plugin_insn;
enum qemu_plugin_op { QEMU_PLUGIN_INLINE_ADD_U64 = 0 };

void qemu_plugin_register_vcpu_tb_trans_cb(
    qemu_plugin_id_t id, void (*cb)(qemu_plugin_id_t id, struct qemu_plugin_tb *tb));
size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *tb);
struct qemu_plugin_insn *qemu_plugin_tb_get_insn(const struct qemu_plugin_tb *tb, size_t idx);
void qemu_plugin_register_vcpu_insn_exec_inline(struct qemu_plugin_insn *insn,
                                                enum qemu_plugin_op op, void *ptr, uint64_t imm);
void qemu_plugin_register_atexit_cb(qemu_plugin_id_t id,
                                    void (*cb)(qemu_plugin_id_t id, void *userdata),
                                    void *userdata);

__attribute__((visibility("default"))) int qemu_plugin_version = 1;

static uint64_t executed;
static char outfile[4096];

static void tb_trans(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
    size_t n = qemu_plugin_tb_n_insns(tb);
    for (size_t k = 0; k < n; k++)
        qemu_plugin_register_vcpu_insn_exec_inline(qemu_plugin_tb_get_insn(tb, k),
                                                   QEMU_PLUGIN_INLINE_ADD_U64, &executed, 1);
}

static void at_exit(qemu_plugin_id_t id, void *userdata)
{
    FILE *f = outfile[0] ? fopen(outfile, "w") : stderr;
    if (f == NULL)
        return;
    fprintf(f, "insns %" PRIu64 "\n", executed);
    if (f != stderr)
        fclose(f);
}

__attribute__((visibility("default")))
int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info, int argc, char **argv)
{
    for (int k = 0; k < argc; k++)
        if (strncmp(argv[k], "outfile=", 8) == 0)
            snprintf(outfile, sizeof(outfile), "%s", argv[k] + 8);
    qemu_plugin_register_vcpu_tb_trans_cb(id, tb_trans);
    qemu_plugin_register_atexit_cb(id, at_exit, NULL);
    return 0;
}
