// Spike max-pooling (SPEC section 4): the output spike at timestep t is the OR
// of the window's input spikes at t, i.e. the bitwise OR of the T-bit words.
// Window KH x KW, stride SH x SW, no padding: OH = (H - KH) / SH + 1 and
// OW = (W - KW) / SW + 1 (floor); rows and columns in no window (past the last
// window, or in the gaps of a stride larger than the window) are consumed and
// dropped. Overlapping windows (K > S), gapped ones (K < S) and non-square
// shapes are all supported.
//
// Stream: NHWC, PE channels (PE*T bits, channel 0 in the LSBs) per beat,
// C/PE beats per pixel. One input beat per cycle when the output does not
// stall (H*W*C/PE cycles per frame); a window's output beat leaves on the
// cycle after its last input beat, in raster order.
//
// Storage: an input pixel lies in up to NV = ceil(KH/SH) window rows and
// NH = ceil(KW/SW) window columns at once. Window (oh, ow) keeps its partial
// OR in bank (oh mod NV, ow mod NH), at word (ow div NH) * CF + channel group:
// NV*NH LUTRAM banks of ceil(OW/NH)*CF words (about NV*OW*CF words in all; one
// bank of OW*CF words when K == S). Each beat read-OR-writes one word in every
// bank whose window holds it; no two open windows share a word.
//
// Timing: the window-row and window-column trackers are registers; the
// beat's path is bank address (q * CF + channel group, a concatenation when
// CF is a power of 2) -> bank read -> OR -> bank write / output register.
`default_nettype none

module snn_spike_pool #(
    parameter int T  = 5,   // timesteps: bits per spike word
    parameter int C  = 4,   // channels
    parameter int PE = 1,   // channels per beat, divides C
    parameter int H  = 8,   // input rows
    parameter int W  = 8,   // input columns
    parameter int KH = 2,   // window rows
    parameter int KW = 2,   // window columns
    parameter int SH = 2,   // row stride
    parameter int SW = 2    // column stride
) (
    input  wire logic            clk,
    input  wire logic            rst,
    input  wire logic [PE*T-1:0] s_axis_tdata,
    input  wire logic            s_axis_tvalid,
    output wire logic            s_axis_tready,
    output wire logic [PE*T-1:0] m_axis_tdata,
    output wire logic            m_axis_tvalid,
    input  wire logic            m_axis_tready
);
    localparam int DW = PE * T;
    localparam int CF = C / PE;                 // beats per pixel
    localparam int OW = (W - KW) / SW + 1;      // output columns
    localparam int NV = (KH + SH - 1) / SH;     // window rows open at once: row banks
    localparam int NH = (KW + SW - 1) / SW;     // window columns open at once: column banks
    localparam int QN = (OW + NH - 1) / NH;     // windows of one window row per column bank
    localparam int DEPTH = QN * CF;             // words per bank
    localparam int AW = DEPTH > 1 ? $clog2(DEPTH) : 1;
    localparam int QW = QN > 1 ? $clog2(QN) : 1;
    localparam int HW_ = H > 1 ? $clog2(H) : 1;
    localparam int WW_ = W > 1 ? $clog2(W) : 1;
    localparam int CW_ = CF > 1 ? $clog2(CF) : 1;
    localparam int PHW = SH > 1 ? $clog2(SH) : 1;
    localparam int PWW = SW > 1 ? $clog2(SW) : 1;
    localparam int KHW = KH > 1 ? $clog2(KH) : 1;
    localparam int KWW = KW > 1 ? $clog2(KW) : 1;
    localparam int NVW = NV > 1 ? $clog2(NV) : 1;
    localparam int NHW = NH > 1 ? $clog2(NH) : 1;

    initial begin
        if (T < 1 || C < 1 || PE < 1 || C % PE != 0) $error("snn_spike_pool: PE must divide C");
        if (KH < 1 || KW < 1 || SH < 1 || SW < 1) $error("snn_spike_pool: window and stride must be >= 1");
        if (H < KH || W < KW) $error("snn_spike_pool: the KH x KW window must fit the H x W input");
    end

    // ---------------------------------------------------------------- position and window trackers
    logic [HW_-1:0] h_reg;                      // input row
    logic [WW_-1:0] w_reg;                      // input column
    logic [CW_-1:0] cg_reg;                     // channel group
    logic           cg_last_reg, w_last_reg, h_last_reg;  // cg == CF - 1, w == W - 1, h == H - 1
    logic [PHW-1:0] ph_reg;                     // h mod SH
    logic [PWW-1:0] pw_reg;                     // w mod SW
    logic [NV-1:0]  vact_reg;                   // row bank i holds an open window row
    logic [KHW-1:0] vk_reg [NV];                // ... at this row of its window
    logic [NVW-1:0] vsel_reg;                   // row bank of the next window row to open
    logic [NH-1:0]  hact_reg;                   // column bank j holds an open window column
    logic [KWW-1:0] hk_reg [NH];                // ... at this column of its window
    logic [QW-1:0]  q_reg [NH];                 // ... whose words start at q * CF
    logic [NHW-1:0] hsel_reg;                   // column bank of the next window column to open
    logic [QW-1:0]  qnext_reg;                  // q of the next window column to open

    logic [DW-1:0] out_data_reg;
    logic out_valid_reg;

    wire logic accept = s_axis_tvalid && s_axis_tready;
    wire logic col_end = cg_last_reg;
    wire logic row_end = col_end && w_last_reg;
    wire logic frame_end = row_end && h_last_reg;
    wire logic [PWW-1:0] pw_next = 32'(pw_reg) == SW - 1 ? '0 : pw_reg + 1'b1;
    wire logic [PHW-1:0] ph_next = 32'(ph_reg) == SH - 1 ? '0 : ph_reg + 1'b1;
    // a window column (row) opens at the next column (row) when it is a stride start and the window fits
    wire logic hstart = pw_next == '0 && int'(w_reg) < W - KW;
    wire logic vstart = ph_next == '0 && int'(h_reg) < H - KH;

    assign s_axis_tready = !out_valid_reg || m_axis_tready;
    assign m_axis_tdata = out_data_reg;
    assign m_axis_tvalid = out_valid_reg;

    always_ff @(posedge clk) begin
        if (rst || (accept && frame_end)) begin
            h_reg <= '0; ph_reg <= '0; h_last_reg <= H == 1;
            vact_reg <= NV'(1);
            for (int i = 0; i < NV; i++) vk_reg[i] <= '0;
            vsel_reg <= NVW'(NV == 1 ? 0 : 1);
        end else if (accept && row_end) begin
            h_reg <= h_reg + 1'b1;
            h_last_reg <= int'(h_reg) == H - 2;
            ph_reg <= ph_next;
            for (int i = 0; i < NV; i++) begin
                if (vact_reg[i]) begin
                    if (32'(vk_reg[i]) == KH - 1) vact_reg[i] <= 1'b0;
                    else vk_reg[i] <= vk_reg[i] + 1'b1;
                end
            end
            if (vstart) begin  // the bank's previous window row has ended (NV*SH >= KH)
                vact_reg[vsel_reg] <= 1'b1;
                vk_reg[vsel_reg] <= '0;
                vsel_reg <= 32'(vsel_reg) == NV - 1 ? '0 : vsel_reg + 1'b1;
            end
        end
    end

    always_ff @(posedge clk) begin
        if (rst || (accept && row_end)) begin
            w_reg <= '0; cg_reg <= '0; pw_reg <= '0;
            w_last_reg <= W == 1; cg_last_reg <= CF == 1;
            hact_reg <= NH'(1);
            for (int j = 0; j < NH; j++) begin
                hk_reg[j] <= '0; q_reg[j] <= '0;
            end
            hsel_reg <= NHW'(NH == 1 ? 0 : 1);
            qnext_reg <= QW'(NH == 1 ? 1 : 0);
        end else if (accept && col_end) begin
            w_reg <= w_reg + 1'b1;
            w_last_reg <= int'(w_reg) == W - 2;
            cg_reg <= '0;
            cg_last_reg <= CF == 1;
            pw_reg <= pw_next;
            for (int j = 0; j < NH; j++) begin
                if (hact_reg[j]) begin
                    if (32'(hk_reg[j]) == KW - 1) hact_reg[j] <= 1'b0;
                    else hk_reg[j] <= hk_reg[j] + 1'b1;
                end
            end
            if (hstart) begin  // the bank's previous window column has ended (NH*SW >= KW)
                hact_reg[hsel_reg] <= 1'b1;
                hk_reg[hsel_reg] <= '0;
                q_reg[hsel_reg] <= qnext_reg;
                hsel_reg <= 32'(hsel_reg) == NH - 1 ? '0 : hsel_reg + 1'b1;
                if (32'(hsel_reg) == NH - 1) qnext_reg <= qnext_reg + 1'b1;
            end
        end else if (accept) begin
            cg_reg <= cg_reg + 1'b1;
            cg_last_reg <= int'(cg_reg) == CF - 2;
        end
    end

    // ---------------------------------------------------------------- banks: read, OR, write
    logic [DW-1:0] merged_b [NV*NH];  // the window's OR including this beat
    logic [NV*NH-1:0] done_b;         // this beat completes the bank's window

    for (genvar i = 0; i < NV; i++) begin : g_row
        for (genvar j = 0; j < NH; j++) begin : g_col
            logic [DW-1:0] mem [DEPTH];
            wire logic open = vact_reg[i] && hact_reg[j];
            wire logic first = vk_reg[i] == '0 && hk_reg[j] == '0;
            wire logic last = 32'(vk_reg[i]) == KH - 1 && 32'(hk_reg[j]) == KW - 1;
            wire logic [AW-1:0] addr = AW'(32'(q_reg[j]) * CF + 32'(cg_reg));  // {q, cg} when CF is a power of 2
            wire logic [DW-1:0] merged = first ? s_axis_tdata : (mem[addr] | s_axis_tdata);

            always_ff @(posedge clk) begin
                if (accept && open && !last)
                    mem[addr] <= merged;
            end
            assign merged_b[i * NH + j] = merged;
            assign done_b[i * NH + j] = open && last;
        end
    end

    // at most one bank completes a window per beat: an AND-OR selects it (one bank: its merged word,
    // shared with the bank's write data)
    logic [DW-1:0] done_data;
    if (NV * NH == 1) begin : g_one_bank
        assign done_data = merged_b[0];
    end else begin : g_banks
        always_comb begin
            done_data = '0;
            for (int b = 0; b < NV * NH; b++)
                done_data = done_data | (merged_b[b] & {DW{done_b[b]}});
        end
    end

    always_ff @(posedge clk) begin
        if (rst) begin
            out_valid_reg <= 1'b0;
        end else begin
            if (m_axis_tready)
                out_valid_reg <= 1'b0;
            if (accept && |done_b) begin
                out_data_reg <= done_data;
                out_valid_reg <= 1'b1;
            end
        end
    end
endmodule

`default_nettype wire
