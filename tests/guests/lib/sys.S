// Running code at EL0, and the entry of secondary vCPUs started by PSCI CPU_ON.

    .text
    // uint64_t run_el0(fn x0, arg x1, sp0 x2, spsr_daif x3): ERET to fn at EL0t with x0 = arg
    // and x30 = el0_exit. The SVC there comes back to el0_resume at EL1h (on_el0_exit) with
    // x0 = fn's result and SP_EL1 as it was at the ERET.
    .global run_el0
    .type run_el0, %function
run_el0:
    stp     x29, x30, [sp, #-112]!
    mov     x29, sp
    stp     x19, x20, [sp, #16]
    stp     x21, x22, [sp, #32]
    stp     x23, x24, [sp, #48]
    stp     x25, x26, [sp, #64]
    stp     x27, x28, [sp, #80]
    mrs     x4, daif
    str     x4, [sp, #96]
    msr     elr_el1, x0
    msr     sp_el0, x2
    and     x3, x3, #0x3c0          // EL0t with the requested DAIF
    msr     spsr_el1, x3
    adr     x30, el0_exit
    mov     x0, x1
    eret
    .global el0_exit
el0_exit:
    svc     #0xffff
    .global el0_resume
el0_resume:
    ldr     x4, [sp, #96]
    msr     daif, x4
    ldp     x19, x20, [sp, #16]
    ldp     x21, x22, [sp, #32]
    ldp     x23, x24, [sp, #48]
    ldp     x25, x26, [sp, #64]
    ldp     x27, x28, [sp, #80]
    ldp     x29, x30, [sp], #112
    ret
    .size run_el0, . - run_el0

    // PSCI CPU_ON entry: x0 = the context, which the guests make the vCPU's index. A stack of
    // its own, the common vector table, then secondary_main(index); CPU_OFF when it returns.
    .global secondary_entry
    .type secondary_entry, %function
secondary_entry:
    adrp    x1, secondary_stacks
    add     x1, x1, :lo12:secondary_stacks
    add     x2, x0, #1
    lsl     x2, x2, #14             // 16 KiB each
    add     x1, x1, x2
    mov     sp, x1
    adrp    x1, vectors
    add     x1, x1, :lo12:vectors
    msr     vbar_el1, x1
    isb
    bl      secondary_main
    movz    x0, #0x0002
    movk    x0, #0x8400, lsl #16    // PSCI CPU_OFF
    hvc     #0
1:  b       1b
    .size secondary_entry, . - secondary_entry

    .bss
    .balign 16
    .global secondary_stacks
secondary_stacks:
    .space  16384 * 8
