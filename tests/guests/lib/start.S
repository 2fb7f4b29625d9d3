// Boot: entered at EL1 with the MMU off. Set the stack and the vector table, let FP/SIMD run
// (CPACR_EL1 resets with it trapped), clear .bss, run main, then power the machine off
// through PSCI.

    .section .text.boot, "ax"
    .global _start
_start:
    adrp    x0, __stack_top
    add     x0, x0, :lo12:__stack_top
    mov     sp, x0
    adrp    x0, vectors
    add     x0, x0, :lo12:vectors
    msr     vbar_el1, x0
    mov     x0, #(3 << 20)              // CPACR_EL1.FPEN = 0b11: no FP/SIMD traps at EL0/EL1
    msr     cpacr_el1, x0
    isb
    adrp    x0, __bss_start
    add     x0, x0, :lo12:__bss_start
    adrp    x1, __bss_end
    add     x1, x1, :lo12:__bss_end
1:  cmp     x0, x1
    b.hs    2f
    stp     xzr, xzr, [x0], #16
    b       1b
2:  bl      main
    bl      poweroff

    .text
    // PSCI SYSTEM_OFF over HVC (virt's PSCI conduit without EL2): never returns.
    .global poweroff
    .type poweroff, %function
poweroff:
    movz    x0, #0x0008
    movk    x0, #0x8400, lsl #16
    hvc     #0
1:  b       1b
    .size poweroff, . - poweroff
