/* System instructions: MRS of the identification registers a bare-metal program reads, MSR/MRS
   round trips, PSTATE access, DC ZVA, cache and TLB maintenance, barriers and hints, HVC as
   the PSCI conduit, and SVC/BRK taken to the vector table: the handler prints ESR's EC and ISS,
   the return address (offset in the image) and SPSR, then resumes past the instruction. */
#include "guest.h"

#define MRS(reg) ({ uint64_t v_; __asm__ volatile("mrs %0, " #reg : "=r"(v_)); v_; })
#define MSR(reg, v) __asm__ volatile("msr " #reg ", %0" :: "r"((uint64_t)(v)))
#define SHOW(reg) put_kv(#reg, MRS(reg))

static int traps;

int on_exception(struct frame *f, int index)
{
    uint32_t ec = ESR_EC(f->esr);
    traps++;
    puts("  trap ");
    report_exception(f, index);
    puts("  spsr ");
    put_hex(f->spsr & SPSR_BASE_BITS);
    puts(" daif in handler ");
    put_hex(MRS(daif));
    puts(" currentel ");
    put_hex(MRS(currentel));
    putc('\n');
    /* SVC, HVC and SMC return to the next instruction; everything else to the one that
       trapped, which we skip. */
    if (ec != 0x15 && ec != 0x16 && ec != 0x17)
        f->elr += 4;
    return 1;
}

static void ids(void)
{
    SHOW(currentel);
    SHOW(midr_el1);
    SHOW(mpidr_el1);
    SHOW(revidr_el1);
    SHOW(ctr_el0);
    SHOW(dczid_el0);
    SHOW(sctlr_el1);
    SHOW(spsel);
}

static void round_trips(void)
{
    MSR(tpidr_el0, 0x1122334455667788);
    MSR(tpidr_el1, 0x8877665544332211);
    MSR(tpidrro_el0, 0xfedcba9876543210);
    SHOW(tpidr_el0);
    SHOW(tpidr_el1);
    SHOW(tpidrro_el0);
    MSR(elr_el1, 0x40001234);
    MSR(spsr_el1, 0xf00003c5);
    SHOW(elr_el1);
    SHOW(spsr_el1);
    MSR(far_el1, 0xabcd000);
    SHOW(far_el1);
    MSR(sp_el0, 0x4100fff0);
    SHOW(sp_el0);
    put_kv("vbar offset", image_offset(MRS(vbar_el1)));
    MSR(contextidr_el1, 0x55);
    SHOW(contextidr_el1);
    MSR(mair_el1, 0x00000000004404ff);
    SHOW(mair_el1);
    MSR(tcr_el1, 0x25b5103510);
    SHOW(tcr_el1);
    MSR(ttbr0_el1, 0x40200000);
    MSR(ttbr1_el1, 0x40300000);
    SHOW(ttbr0_el1);
    SHOW(ttbr1_el1);
}

static void pstate(void)
{
    for (uint64_t f = 0; f < 16; f += 5) {
        MSR(nzcv, f << 28);
        put_kv("nzcv", MRS(nzcv));
    }
    __asm__ volatile("msr daifset, #0xf");
    put_kv("daif after set", MRS(daif));
    __asm__ volatile("msr daifclr, #0x5");
    put_kv("daif after clr 5", MRS(daif));
    MSR(daif, 0x3c0);
    put_kv("daif after msr", MRS(daif));
    /* SPSel: SP_EL0 and SP_EL1 are separate stack pointers. */
    uint64_t sp1, sp0;
    MSR(sp_el0, 0x40ff0000);
    __asm__ volatile("mov %0, sp\n\tmsr spsel, #0\n\tmov %1, sp\n\tmsr spsel, #1"
                     : "=&r"(sp1), "=&r"(sp0));
    put_kv("sp_el0 via spsel", sp0);
    put_kv("sp_el1 unchanged", (uint64_t)(sp1 == (uint64_t)__builtin_frame_address(0) ? 1 : 2));
}

static uint8_t block[1024] __attribute__((aligned(1024)));

static void dc_zva(void)
{
    uint64_t dczid = MRS(dczid_el0);
    uint64_t size = 4u << (dczid & 0xf);
    put_kv("zva block bytes", size);
    for (int k = 0; k < 1024; k++)
        ((volatile uint8_t *)block)[k] = 0xaa;
    /* An address inside a block zeroes the whole aligned block. */
    __asm__ volatile("dc zva, %0" :: "r"(block + 256 + 3) : "memory");
    int first = -1, count = 0;
    for (int k = 0; k < 1024; k++) {
        if (((volatile uint8_t *)block)[k] == 0) {
            if (first < 0)
                first = k;
            count++;
        }
    }
    put_kv("zva first zero", (uint64_t)first);
    put_kv("zva zeroed", (uint64_t)count);
}

static void maintenance(void)
{
    /* Cache and TLB maintenance, barriers and hints: nothing visible changes. */
    uint64_t x = 0x1234;
    __asm__ volatile("dc civac, %0\n\tdc cvac, %0\n\tdc cvau, %0\n\tdc ivac, %0\n\tic ivau, %0\n\t"
                     "ic iallu\n\tic ialluis\n\ttlbi vmalle1\n\ttlbi vmalle1is\n\ttlbi vae1, %1\n\t"
                     "tlbi aside1, %1\n\tdsb sy\n\tdsb ish\n\tdmb ishld\n\tisb\n\tnop\n\tyield\n\t"
                     "sev\n\tsevl\n\thint #0x22\n\thint #0x7f\n\tcsdb\n\tesb"
                     :: "r"(block), "r"(x) : "memory");
    put_kv("maintenance ok", x);
}

static uint64_t hvc_call(uint64_t fn, uint64_t a1)
{
    register uint64_t x0 __asm__("x0") = fn;
    register uint64_t x1 __asm__("x1") = a1;
    __asm__ volatile("hvc #0" : "+r"(x0), "+r"(x1) :: "x2", "x3", "memory");
    return x0;
}

static void calls(void)
{
    put_kv("psci version", hvc_call(0x84000000, 0));
    put_kv("psci features(system_off)", hvc_call(0x8400000a, 0x84000008));
    put_kv("psci features(cpu_on64)", hvc_call(0x8400000a, 0xc4000003));
    put_kv("psci migrate_info_type", hvc_call(0x84000006, 0));
    put_kv("psci affinity_info(0)", hvc_call(0xc4000004, 0));

    MSR(nzcv, 0xa0000000);
    __asm__ volatile("svc #0");
    __asm__ volatile("svc #0xffff");
    MSR(nzcv, 0x50000000);
    __asm__ volatile("brk #0");
    __asm__ volatile("brk #0x1234");
    register uint64_t x0 __asm__("x0") = 0x84000000;
    __asm__ volatile("hvc #0x42" : "+r"(x0));
    put_kv("hvc #0x42 psci version", x0);
    put_kv("traps", (uint64_t)traps);
}

static void calls_not_psci(void)
{
    /* An HVC whose function is not PSCI: the SMC Calling Convention's NOT_SUPPORTED (-1).
       (SMC is left out: QEMU's virt, whose conduit is HVC, makes it UNDEFINED, while qemu_py
       takes PSCI over SMC as well, as its issue asks.) */
    put_kv("hvc unknown function", hvc_call(0x12345678, 0));
    put_kv("hvc unknown fast call", hvc_call(0x86000000, 0));
    put_kv("traps", (uint64_t)traps);
}

int main(void)
{
    puts("system: start\n");
    ids();
    round_trips();
    pstate();
    dc_zva();
    maintenance();
    calls();
    calls_not_psci();
    puts("system: done\n");
    return 0;
}
