/* Four vCPUs (-smp 4): PSCI AFFINITY_INFO, CPU_ON (and its errors), SGIs between every pair
   through the GIC (each vCPU counts what it receives, by source), an LDAXR/STXR spinlock and an
   LDXR/STXR atomic counter incremented by all four to the exact total with the MMU on (Normal
   write-back memory, so the exclusives are on cacheable memory), vCPUs sleeping in WFI woken by
   SGIs and by their own virtual timers, CPU_OFF, and a second CPU_ON of
   a vCPU that turned itself off. Only vCPU 0 prints, after the others have finished, so the
   output does not depend on how QEMU's threads interleave. */
#include "sys.h"

#define NCPU 4
#define ROUNDS 5                /* SGIs each vCPU sends to each other one */
#define ITERS 3000              /* lock-protected and exclusive increments per vCPU */
#define SPIN_LIMIT 2000000000UL

extern char secondary_entry[];

static struct pt tables;
static volatile uint64_t shared_tcr, shared_ttbr0;
static volatile uint32_t online[NCPU], counted[NCPU], finished[NCPU], phase, lives[NCPU];
static volatile uint32_t sgi_count[NCPU][NCPU];     /* [receiver][sender] */
static volatile uint32_t broadcast_count[NCPU];
static volatile uint32_t pings[NCPU], pongs[NCPU], ticks[NCPU];
#define PINGS 10
#define TICKS 3
static volatile uint32_t bad[NCPU];
static volatile uint32_t lock;
static volatile uint64_t locked_counter, atomic_counter;
static volatile uint64_t mismatch_in_lock;

static uint32_t me(void)
{
    return MRS(mpidr_el1) & 0xff;
}

static void spin_until(volatile uint32_t *p, uint32_t value, const char *what)
{
    for (uint64_t k = 0; *p < value; k++) {
        if (k == SPIN_LIMIT) {
            puts("timeout waiting for ");
            puts(what);
            putc('\n');
            poweroff();
        }
    }
}

/* --- the exclusives ----------------------------------------------------------------------- */

static void spin_lock(volatile uint32_t *l)
{
    uint32_t tmp, fail;
    __asm__ volatile("1: ldaxr %w0, [%2]\n\t"
                     "cbnz %w0, 1b\n\t"
                     "stxr %w1, %w3, [%2]\n\t"
                     "cbnz %w1, 1b"
                     : "=&r"(tmp), "=&r"(fail) : "r"(l), "r"(1) : "memory");
}

static void spin_unlock(volatile uint32_t *l)
{
    __asm__ volatile("stlr wzr, [%0]" :: "r"(l) : "memory");
}

static void atomic_inc(volatile uint64_t *p)
{
    uint64_t tmp;
    uint32_t fail;
    __asm__ volatile("1: ldxr %0, [%2]\n\t"
                     "add %0, %0, #1\n\t"
                     "stxr %w1, %0, [%2]\n\t"
                     "cbnz %w1, 1b"
                     : "=&r"(tmp), "=&r"(fail) : "r"(p) : "memory");
}

static void count_up(void)
{
    for (int k = 0; k < ITERS; k++) {
        spin_lock(&lock);
        uint64_t v = locked_counter;
        /* A second read inside the lock: nobody else may have written in between. */
        for (int d = 0; d < 3; d++)
            __asm__ volatile("" ::: "memory");
        if (locked_counter != v)
            mismatch_in_lock++;
        locked_counter = v + 1;
        spin_unlock(&lock);
        atomic_inc(&atomic_counter);
    }
}

/* --- SGIs --------------------------------------------------------------------------------- */

int on_exception(struct frame *f, int index)
{
    uint32_t self = me();
    if ((index & 3) != 1) {
        report_exception(f, index);
        return 0;
    }
    uint32_t iar = gicc_r(GICC_IAR);
    uint32_t id = iar & 0x3ff, src = (iar >> 10) & 7;
    if (id == 8)
        broadcast_count[self]++;
    else if (id == 10)
        pings[self]++;
    else if (id == 11 && self == 0)
        pongs[src]++;
    else if (id == 27) {
        ticks[self]++;
        if (ticks[self] < TICKS)
            MSR(cntv_tval_el0, 20000);
        else
            MSR(cntv_ctl_el0, 0);
        ISB();
    }
    else if (id < NCPU && id == src && src != self)
        sgi_count[self][src]++;
    else
        bad[self]++;
    if (id != 1023)
        gicc_w(GICC_EOIR, iar);
    return 1;
}

static void send_sgis(void)
{
    uint32_t self = me();
    for (uint32_t r = 0; r < ROUNDS; r++) {
        for (uint32_t t = 0; t < NCPU; t++) {
            if (t == self)
                continue;
            /* SGI number = sender; wait until it has arrived before sending it again, so
               that no two are ever pending at once (they would merge). */
            gicd_w(GICD_SGIR, (1u << (16 + t)) | self);
            spin_until(&sgi_count[t][self], r + 1, "an sgi");
        }
    }
}

static void cpu_setup(void)
{
    mmu_on(shared_tcr, shared_ttbr0, 0);
    gic_init_cpu();
    gicd_w(GICD_ISENABLER, 0xffff);
    __asm__ volatile("msr daifclr, #2" ::: "memory");
}

/* Waiting in WFI: vCPU 0 wakes each of the others with SGI 10 (ping), which answers with SGI 11
   (pong) to vCPU 0, waiting in WFI too; then every vCPU takes interrupts from its own virtual
   timer, sleeping in WFI between them. */
static void wait_irq_until(volatile uint32_t *p, uint32_t value)
{
    wfi_until(p, value);
    __asm__ volatile("msr daifclr, #2" ::: "memory");
}

static void own_timer(void)
{
    uint32_t self = me();
    gicd_set_priority(27, 0xa0);
    gicd_w(GICD_ISENABLER, 1u << 27);
    MSR(cntv_tval_el0, 20000);
    MSR(cntv_ctl_el0, 1);
    ISB();
    wait_irq_until(&ticks[self], TICKS);
}

static void idle_phase(uint64_t index)
{
    for (uint32_t k = 0; k < PINGS; k++) {
        wait_irq_until(&pings[index], k + 1);
        gicd_w(GICD_SGIR, (1u << 16) | 11);
    }
    own_timer();
}

void secondary_main(uint64_t index)
{
    if (lives[index]++) {
        /* Started again after CPU_OFF: only say so. */
        online[index] = 2;
        return;
    }
    cpu_setup();
    online[index] = 1;
    spin_until(&phase, 1, "phase 1");
    send_sgis();
    spin_until(&phase, 2, "phase 2");
    count_up();
    counted[index] = 1;
    idle_phase(index);
    __asm__ volatile("msr daifset, #2" ::: "memory");
    mmu_off();
    finished[index] = 1;
    /* Returning powers this vCPU off (secondary_entry calls CPU_OFF). */
}

/* --- vCPU 0 ------------------------------------------------------------------------------- */

static void put_psci(const char *what, int64_t r)
{
    puts(what);
    putc(' ');
    put_dec(r);
    putc('\n');
}

static uint32_t all(volatile uint32_t *v, uint32_t value)
{
    uint32_t n = 0;
    for (int k = 1; k < NCPU; k++)
        n += v[k] >= value;
    return n;
}

int main(void)
{
    puts("smp: start\n");
    put_kv("mpidr", MRS(mpidr_el1));
    pt_init(&tables, 12, 48);
    pt_identity(&tables);
    shared_tcr = pt_tcr(&tables, NULL);
    shared_ttbr0 = tables.root;
    gic_init_dist();
    put_kv("gicd_typer cpus", ((gicd_r(GICD_TYPER) >> 5) & 7) + 1);
    cpu_setup();

    for (int k = 1; k < NCPU; k++) {
        puts("affinity_info(");
        put_dec(k);
        put_psci(") before cpu_on", psci(PSCI_AFFINITY_INFO, k, 0, 0));
    }
    put_psci("cpu_on(7), no such vcpu:", psci(PSCI_CPU_ON, 7, (uint64_t)secondary_entry, 7));
    for (int k = 1; k < NCPU; k++) {
        puts("cpu_on(");
        put_dec(k);
        put_psci(")", psci(PSCI_CPU_ON, k, (uint64_t)secondary_entry, k));
    }
    for (int k = 1; k < NCPU; k++)
        spin_until(&online[k], 1, "a vcpu to start");
    put_kv("online", all(online, 1));
    for (int k = 1; k < NCPU; k++) {
        puts("affinity_info(");
        put_dec(k);
        put_psci(") running", psci(PSCI_AFFINITY_INFO, k, 0, 0));
    }
    put_psci("cpu_on(2) again:", psci(PSCI_CPU_ON, 2, (uint64_t)secondary_entry, 2));
    put_psci("affinity_info(0) self", psci(PSCI_AFFINITY_INFO, 0, 0, 0));

    /* Phase 1: everyone sends SGIs to everyone else. */
    phase = 1;
    send_sgis();
    for (uint32_t r = 0; r < NCPU; r++)
        for (uint32_t s = 0; s < NCPU; s++)
            if (r != s)
                spin_until(&sgi_count[r][s], ROUNDS, "the sgis");
    /* One SGI 8 to all the others (TargetListFilter 1). */
    gicd_w(GICD_SGIR, (1u << 24) | 8);
    for (int k = 1; k < NCPU; k++)
        spin_until(&broadcast_count[k], 1, "the broadcast sgi");
    puts("sgis received [receiver][sender]:\n");
    for (uint32_t r = 0; r < NCPU; r++) {
        puts(" ");
        for (uint32_t s = 0; s < NCPU; s++) {
            putc(' ');
            put_dec(sgi_count[r][s]);
        }
        puts("  broadcast ");
        put_dec(broadcast_count[r]);
        putc('\n');
    }

    /* Phase 2: the counters. */
    phase = 2;
    count_up();
    for (int k = 1; k < NCPU; k++)
        spin_until(&counted[k], 1, "a vcpu to finish counting");
    put_kv("locked counter", locked_counter);
    put_kv("atomic counter", atomic_counter);
    put_kv("expected", (uint64_t)NCPU * ITERS);
    put_kv("lock held twice", mismatch_in_lock);

    for (uint32_t k = 0; k < PINGS; k++)
        for (uint32_t t = 1; t < NCPU; t++) {
            gicd_w(GICD_SGIR, (1u << (16 + t)) | 10);
            wait_irq_until(&pongs[t], k + 1);
        }
    own_timer();
    for (int k = 1; k < NCPU; k++)
        spin_until(&finished[k], 1, "a vcpu to finish its idle phase");
    puts("pings, pongs, timer interrupts:\n");
    for (int k = 0; k < NCPU; k++) {
        puts("  vcpu ");
        put_dec(k);
        putc(' ');
        put_dec(pings[k]);
        putc(' ');
        put_dec(pongs[k]);
        putc(' ');
        put_dec(ticks[k]);
        putc('\n');
    }

    /* Phase 3: the others have called CPU_OFF (or are about to). */
    for (int k = 1; k < NCPU; k++) {
        int64_t r;
        for (uint64_t n = 0; (r = psci(PSCI_AFFINITY_INFO, k, 0, 0)) != 1 && n < SPIN_LIMIT; n++)
            ;
        puts("affinity_info(");
        put_dec(k);
        put_psci(") after cpu_off", r);
    }
    put_psci("cpu_on(3) after its cpu_off", psci(PSCI_CPU_ON, 3, (uint64_t)secondary_entry, 3));
    spin_until(&online[3], 2, "vcpu 3 to start again");
    int64_t r;
    for (uint64_t n = 0; (r = psci(PSCI_AFFINITY_INFO, 3, 0, 0)) != 1 && n < SPIN_LIMIT; n++)
        ;
    put_psci("affinity_info(3) after its second cpu_off", r);
    put_kv("unexpected interrupts", bad[0] + bad[1] + bad[2] + bad[3]);
    __asm__ volatile("msr daifset, #2" ::: "memory");
    mmu_off();
    puts("smp: done\n");
    return 0;
}
