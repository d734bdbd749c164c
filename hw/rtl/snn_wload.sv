// One link of the weight-load chain: takes its layer's WORDS weight words from
// a stream of LW-bit beats, then passes every later beat on to the next link.
//
// A word of WW bits arrives as NB = ceil(WW / LW) beats, beat j holding word
// bits [j*LW, (j+1)*LW) (element 0 in the LSBs, SPEC section 5; the padding
// above bit WW-1 of the last beat is dropped). The words go out on m_axis_w
// in order (to snn_mvu's s_axis_w, WEIGHT_LOAD 1). After the WORDS-th word the
// link is a wire from s_axis to m_axis (tready passes back combinationally).
// A reset starts the link over at word 0.
`default_nettype none

module snn_wload #(
    parameter int LW    = 8,   // bits of a load-stream beat
    parameter int WW    = 16,  // bits of a weight word
    parameter int WORDS = 4,   // weight words of this link's layer
    localparam int NB = (WW + LW - 1) / LW  // beats per word
) (
    input  wire logic          clk,
    input  wire logic          rst,
    input  wire logic [LW-1:0] s_axis_tdata,
    input  wire logic          s_axis_tvalid,
    output wire logic          s_axis_tready,
    output wire logic [WW-1:0] m_axis_w_tdata,
    output wire logic          m_axis_w_tvalid,
    input  wire logic          m_axis_w_tready,
    output wire logic [LW-1:0] m_axis_tdata,
    output wire logic          m_axis_tvalid,
    input  wire logic          m_axis_tready
);
    localparam int BW = NB > 1 ? $clog2(NB) : 1;
    localparam int CW = $clog2(WORDS + 1);

    initial begin
        if (LW < 1 || WW < 1 || WORDS < 1) $error("snn_wload: LW, WW and WORDS must be positive");
    end

    logic [CW-1:0] words_reg;     // words completed (taken into word_reg)
    logic [BW-1:0] beat_reg;      // beat of the word in progress
    logic [NB*LW-1:0] word_reg;   // beats shift in from the top: beat 0 ends in the LSBs
    logic word_valid_reg;
    wire logic done = 32'(words_reg) == WORDS;
    wire logic own_ready = !done && (!word_valid_reg || m_axis_w_tready);
    wire logic own_fire = s_axis_tvalid && own_ready;
    wire logic word_end = 32'(beat_reg) == NB - 1;
    wire logic [NB*LW-1:0] shifted;
    if (NB > 1) begin : g_shift
        assign shifted = {s_axis_tdata, word_reg[NB*LW-1:LW]};
    end else begin : g_one
        assign shifted = s_axis_tdata;
    end

    always_ff @(posedge clk) begin
        if (rst) begin
            words_reg <= '0;
            beat_reg <= '0;
            word_valid_reg <= 1'b0;
        end else begin
            if (word_valid_reg && m_axis_w_tready) word_valid_reg <= 1'b0;
            if (own_fire) begin
                beat_reg <= word_end ? '0 : beat_reg + 1'b1;
                if (word_end) begin
                    words_reg <= words_reg + 1'b1;
                    word_valid_reg <= 1'b1;
                end
            end
        end
        if (own_fire) word_reg <= shifted;
    end

    assign m_axis_w_tdata = word_reg[WW-1:0];
    assign m_axis_w_tvalid = word_valid_reg;
    assign s_axis_tready = done ? m_axis_tready : own_ready;
    assign m_axis_tdata = s_axis_tdata;
    assign m_axis_tvalid = s_axis_tvalid && done;

    if (NB * LW > WW) begin : g_unused
        /* verilator lint_off UNUSEDSIGNAL */  // the padding above the word in its last beat
        wire logic unused_pad = &{1'b0, word_reg[NB*LW-1:WW]};
        /* verilator lint_on UNUSEDSIGNAL */
    end
endmodule

`default_nettype wire
