// Spike max-pooling (SPEC section 4): the output spike at timestep t is the OR
// of the window's input spikes at t, i.e. the bitwise OR of the T-bit words.
// Window K x K with stride K (non-overlapping); rows/columns past the last
// full window are consumed and dropped, as floor division in the spec.
//
// Stream: NHWC, PE channels (PE*T bits, channel 0 in the LSBs) per beat,
// C/PE beats per pixel. One input beat per cycle when the output does not stall.
`default_nettype none

module snn_spike_pool #(
    parameter int T  = 5,   // timesteps: bits per spike word
    parameter int C  = 4,   // channels
    parameter int PE = 1,   // channels per beat, divides C
    parameter int H  = 8,   // input rows
    parameter int W  = 8,   // input columns
    parameter int K  = 2    // window and stride
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
    localparam int CF = C / PE;         // beats per pixel
    localparam int OH = H / K;
    localparam int OW = W / K;
    localparam int DEPTH = OW * CF;     // one row of partial ORs
    localparam int AW = DEPTH > 1 ? $clog2(DEPTH) : 1;
    localparam int HW_ = H > 1 ? $clog2(H) : 1;
    localparam int WW_ = W > 1 ? $clog2(W) : 1;
    localparam int CW_ = CF > 1 ? $clog2(CF) : 1;
    localparam int KW_ = K > 1 ? $clog2(K) : 1;
    localparam int OWW = OW > 1 ? $clog2(OW) : 1;

    initial begin
        if (T < 1 || C < 1 || PE < 1 || C % PE != 0) $error("snn_spike_pool: PE must divide C");
        if (K < 1 || H < K || W < K) $error("snn_spike_pool: window K must fit the input");
    end

    logic [PE*T-1:0] acc_mem [DEPTH];

    logic [HW_-1:0] h_reg;
    logic [WW_-1:0] w_reg;
    logic [CW_-1:0] cg_reg;
    logic [KW_-1:0] kh_reg, kw_reg;
    logic [OWW-1:0] ow_reg;
    logic [PE*T-1:0] out_data_reg;
    logic out_valid_reg;

    wire logic accept = s_axis_tvalid && s_axis_tready;
    wire logic in_window = (32'(h_reg) < OH * K) && (32'(w_reg) < OW * K);
    wire logic first = (kh_reg == '0) && (kw_reg == '0);
    wire logic last = (32'(kh_reg) == K - 1) && (32'(kw_reg) == K - 1);
    wire logic [AW-1:0] addr = AW'(32'(ow_reg) * CF + 32'(cg_reg));
    wire logic [PE*T-1:0] merged = first ? s_axis_tdata : (acc_mem[addr] | s_axis_tdata);

    assign s_axis_tready = !out_valid_reg || m_axis_tready;
    assign m_axis_tdata = out_data_reg;
    assign m_axis_tvalid = out_valid_reg;

    always_ff @(posedge clk) begin
        if (accept && in_window && !last)
            acc_mem[addr] <= merged;
    end

    always_ff @(posedge clk) begin
        if (rst) begin
            h_reg <= '0; w_reg <= '0; cg_reg <= '0; kh_reg <= '0; kw_reg <= '0; ow_reg <= '0;
            out_valid_reg <= 1'b0;
        end else begin
            if (m_axis_tready)
                out_valid_reg <= 1'b0;
            if (accept) begin
                if (in_window && last) begin
                    out_data_reg <= merged;
                    out_valid_reg <= 1'b1;
                end
                // position counters: channel group, then column, then row
                if (32'(cg_reg) == CF - 1) begin
                    cg_reg <= '0;
                    if (32'(w_reg) == W - 1) begin
                        w_reg <= '0; kw_reg <= '0; ow_reg <= '0;
                        if (32'(h_reg) == H - 1) begin
                            h_reg <= '0; kh_reg <= '0;
                        end else begin
                            h_reg <= h_reg + 1'b1;
                            kh_reg <= (32'(kh_reg) == K - 1) ? '0 : kh_reg + 1'b1;
                        end
                    end else begin
                        w_reg <= w_reg + 1'b1;
                        if (32'(kw_reg) == K - 1) begin
                            kw_reg <= '0;
                            ow_reg <= ow_reg + 1'b1;
                        end else begin
                            kw_reg <= kw_reg + 1'b1;
                        end
                    end
                end else begin
                    cg_reg <= cg_reg + 1'b1;
                end
            end
        end
    end
endmodule

`default_nettype wire
