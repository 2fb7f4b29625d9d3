// smp: for -smp 4 (-cpu max, for LSE). vCPU 0 starts vCPUs 1-3 with PSCI CPU_ON; each vCPU k
// runs a loop of 1000 * (k + 1) iterations, then adds one to a shared counter with LDADDAL;
// the vCPU that sees 3 there (the last) asks for SYSTEM_OFF, the others for CPU_OFF, through
// the same instructions. So every vCPU's instruction count is fixed whatever the interleaving.
    .global _start
_start:
    mov     x19, #1                     // vCPU 0 starts vCPUs 1..3
1:  mov     x0, #0x0003
    movk    x0, #0xc400, lsl #16        // PSCI CPU_ON (SMC64)
    mov     x1, x19                     // target MPIDR: Aff0 = index
    adr     x2, secondary
    mov     x3, x19                     // context: its index
    hvc     #0
    add     x19, x19, #1
    cmp     x19, #4
    b.ne    1b
    mov     x0, #0
    b       work

secondary:                              // x0 = this vCPU's index
work:
    add     x1, x0, #1
    mov     x2, #1000
    mul     x1, x1, x2                  // iterations
    mov     x6, #0
2:  add     x6, x6, x1
    subs    x1, x1, #1
    b.ne    2b
    adr     x3, counter
    mov     x1, #1
    ldaddal x1, x2, [x3]
    cmp     x2, #3
    mov     x4, #0x0002
    movk    x4, #0x8400, lsl #16        // PSCI CPU_OFF
    mov     x5, #0x0008
    movk    x5, #0x8400, lsl #16        // PSCI SYSTEM_OFF
    csel    x0, x5, x4, eq
    hvc     #0
    b       .

    .balign 4096
counter:
    .quad   0
