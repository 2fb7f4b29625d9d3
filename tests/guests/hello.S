// hello: the smallest guest. No library: print a string on the PL011 and power off via PSCI.

    .section .text.boot, "ax"
    .global _start
_start:
    movz    x1, #0x0900, lsl #16        // PL011 at 0x09000000
    adr     x2, message
1:  ldrb    w3, [x2], #1
    cbz     w3, 2f
3:  ldr     w4, [x1, #0x18]             // UARTFR: wait while the TX FIFO is full
    tbnz    w4, #5, 3b
    str     w3, [x1]                    // UARTDR
    b       1b
2:  movz    x0, #0x0008                 // PSCI SYSTEM_OFF
    movk    x0, #0x8400, lsl #16
    hvc     #0
    b       .

message:
    .asciz  "Hello from a bare-metal AArch64 guest!\n"
