/* vcpu: a line per vCPU init, idle and resume event, with the vCPU count at init. */
#include <plugin.h>
#include <stdio.h>

QEMU_PLUGIN_EXPORT int qemu_plugin_version = QEMU_PLUGIN_VERSION;

static void line(const char *what, unsigned int vcpu)
{
    char buf[64];
    snprintf(buf, sizeof(buf), "%s %u (num_vcpus %d)\n", what, vcpu, qemu_plugin_num_vcpus());
    qemu_plugin_outs(buf);
}

static void on_init(qemu_plugin_id_t id, unsigned int vcpu) { (void)id; line("init", vcpu); }
static void on_idle(qemu_plugin_id_t id, unsigned int vcpu) { (void)id; line("idle", vcpu); }
static void on_resume(qemu_plugin_id_t id, unsigned int vcpu) { (void)id; line("resume", vcpu); }

QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info,
                                           int argc, char **argv)
{
    char buf[96];
    (void)argc; (void)argv;
    snprintf(buf, sizeof(buf), "install: %s v%d..%d system=%d smp=%d max=%d num_vcpus=%d\n",
             info->target_name, info->version.min, info->version.cur, info->system_emulation,
             info->system.smp_vcpus, info->system.max_vcpus, qemu_plugin_num_vcpus());
    qemu_plugin_outs(buf);
    qemu_plugin_register_vcpu_init_cb(id, on_init);
    qemu_plugin_register_vcpu_idle_cb(id, on_idle);
    qemu_plugin_register_vcpu_resume_cb(id, on_resume);
    return 0;
}
