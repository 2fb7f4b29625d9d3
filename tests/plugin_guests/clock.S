// clock: prints the virtual counter before and after the marker "mov x9, x9", where a test
// plugin (tests/plugin_cases/clock.c) moves the virtual clock with qemu_plugin_update_ns.
    .global _start
_start:
    ldr     x20, =0x09000000            // PL011 data register
    isb
    mrs     x0, cntvct_el0
    bl      puthex
    mov     x9, x9                      // marker: the plugin moves the clock
    isb
    mrs     x0, cntvct_el0
    bl      puthex
    mov     x0, #0x0008
    movk    x0, #0x8400, lsl #16        // PSCI SYSTEM_OFF
    hvc     #0
    b       .

puthex:                                 // x0 as 16 hex digits and a newline
    mov     x2, #60
2:  lsr     x3, x0, x2
    and     x3, x3, #0xf
    cmp     x3, #10
    add     x4, x3, #'0'
    add     x5, x3, #('a' - 10)
    csel    x3, x4, x5, lt
    strb    w3, [x20]
    subs    x2, x2, #4
    b.pl    2b
    mov     x3, #'\n'
    strb    w3, [x20]
    ret
    .ltorg
