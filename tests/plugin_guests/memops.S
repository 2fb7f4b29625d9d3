// memops: memory accesses whose reports are known by hand (tests/test_plugins_runtime.py):
// register pairs, a sign-extending load, a device register, a load from nowhere (external
// abort), a misaligned exclusive (alignment fault), SVC and a PSCI call. The vector table's
// synchronous handler returns past the faulting instruction (after an SVC, ELR is already
// past it).
    .global _start
_start:
    adr     x0, vectors
    msr     vbar_el1, x0
    isb
    adr     x19, data
    ldr     x20, =0x09000000            // PL011
    ldp     x1, x2, [x19]               // one 16-byte load
    stp     x2, x1, [x19, #16]          // one 16-byte store
    ldrsb   x3, [x19, #7]               // sign-extending byte load
    ldp     w4, w5, [x19]               // one 8-byte load
    ldr     w6, [x20, #0x18]            // UARTFR: a device read
    mov     x7, #0x100000000
    ldr     x8, [x7]                    // nothing there: external abort, no access reported
    add     x12, x19, #4
    ldxr    x9, [x12]                   // misaligned exclusive: alignment fault
    svc     #0x42
    mov     x0, #0x0000
    movk    x0, #0x8400, lsl #16        // PSCI VERSION: a host call
    hvc     #0
    mov     x0, #0x0008
    movk    x0, #0x8400, lsl #16        // PSCI SYSTEM_OFF
    hvc     #0
    b       .

    .balign 0x800
vectors:
    .skip   0x200                       // current EL with SP_EL0: unused
    mrs     x10, esr_el1                // current EL with SP_ELx, synchronous
    lsr     x10, x10, #26
    cmp     x10, #0x15                  // SVC: ELR is already the next instruction
    b.eq    1f
    mrs     x11, elr_el1
    add     x11, x11, #4
    msr     elr_el1, x11
1:  eret

    .balign 16
data:
    .quad   0x8877665544332211, 0xffeeddccbbaa9988
    .quad   0, 0
    .ltorg
