/*
 * selfremove: counts executed blocks with a callback and, on its Nth block (n=N), uninstalls
 * itself from that callback; with reset=on it first resets itself there (its reset callback
 * registers the counting again) and uninstalls on block 2N. Reports what it saw from the
 * uninstall callback: after it, nothing of this plugin may run (no atexit report either).
 */
#include <plugin.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

QEMU_PLUGIN_EXPORT int qemu_plugin_version = QEMU_PLUGIN_VERSION;

static qemu_plugin_id_t self;
static unsigned long n = 100, blocks, since_request, resets, flushes;
static bool do_reset, requested, reset_done;

static void block_trans(qemu_plugin_id_t id, struct qemu_plugin_tb *tb);

static void out(const char *what)
{
    char line[160];
    snprintf(line, sizeof(line), "%s: blocks=%lu since_request=%lu resets=%lu flushes=%lu\n",
             what, blocks, since_request, resets, flushes);
    qemu_plugin_outs(line);
}

static void flushed(qemu_plugin_id_t id)
{
    (void)id;
    flushes++;
}

static void uninstalled(qemu_plugin_id_t id)
{
    (void)id;
    out("uninstalled");
    /* Requests from a plugin being uninstalled are ignored. */
    qemu_plugin_register_vcpu_tb_trans_cb(self, block_trans);
}

static void was_reset(qemu_plugin_id_t id)
{
    resets++;
    requested = false;
    reset_done = true;
    out("reset");
    qemu_plugin_register_vcpu_tb_trans_cb(id, block_trans);
}

static void block_exec(unsigned int vcpu, void *udata)
{
    (void)vcpu; (void)udata;
    blocks++;
    if (requested) {
        since_request++;
        return;
    }
    if (do_reset && !reset_done && blocks == n) {
        requested = true;
        qemu_plugin_reset(self, was_reset);
        qemu_plugin_reset(self, was_reset);             /* a repeat while pending: ignored */
    } else if (blocks == (do_reset ? 2 * n : n)) {
        requested = true;
        qemu_plugin_uninstall(self, uninstalled);
        qemu_plugin_uninstall(self, uninstalled);       /* a second request: ignored */
    }
}

static void block_trans(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
    (void)id;
    qemu_plugin_register_vcpu_tb_exec_cb(tb, block_exec, QEMU_PLUGIN_CB_NO_REGS, NULL);
}

static void at_exit(qemu_plugin_id_t id, void *udata)
{
    (void)id; (void)udata;
    out("atexit (must not happen)");
}

QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info,
                                           int argc, char **argv)
{
    (void)info;
    self = id;
    for (int i = 0; i < argc; i++) {
        if (strncmp(argv[i], "n=", 2) == 0) {
            n = strtoul(argv[i] + 2, NULL, 10);
        } else if (strcmp(argv[i], "reset=on") == 0) {
            do_reset = true;
        }
    }
    qemu_plugin_register_vcpu_tb_trans_cb(id, block_trans);
    qemu_plugin_register_flush_cb(id, flushed);
    qemu_plugin_register_atexit_cb(id, at_exit, NULL);
    return 0;
}
