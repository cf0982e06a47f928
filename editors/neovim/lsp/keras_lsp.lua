---@brief
---
--- keras-lsp: shows, without running the code, which initializer each weight of each Keras
--- layer gets (hover, inlay hints, go to definition of custom initializer classes). The server
--- is a single binary, installed with `pip` (or `uv tool install`, `pipx install`):
---
--- ```sh
--- pip install keras-lsp
--- ```
---
--- Server settings go under the key `kerasLsp`; they are sent both as `initializationOptions`
--- and with `workspace/didChangeConfiguration`:
---
--- ```lua
--- vim.lsp.config('keras_lsp', {
---   settings = {
---     kerasLsp = {
---       inlayHints = { enabled = true, showDefaults = true },
---       keras = 'auto', -- or '2' or '3'
---       -- Diagnostic codes to turn off (or on: `select`), see docs/diagnostics.md
---       diagnostics = { ignore = { 'ignored-initializer' } },
---     },
---   },
--- })
--- ```
---
--- Nvim shows no inlay hints until they are enabled: `vim.lsp.inlay_hint.enable(true)`.

---@type vim.lsp.Config
return {
  cmd = { 'keras-lsp' },
  filetypes = { 'python' },
  -- The nearest folder with a Python project file; `.git` only when there is none.
  root_markers = vim.fn.has('nvim-0.11.3') == 1
      and { { 'pyproject.toml', 'setup.py', 'setup.cfg', 'requirements.txt', 'Pipfile' }, { '.git' } }
    or { 'pyproject.toml', 'setup.py', 'setup.cfg', 'requirements.txt', 'Pipfile', '.git' },
  -- The server reads its settings at startup from initializationOptions: send `settings` there
  -- too, unless `init_options` are given (an empty table would be encoded as a JSON array).
  before_init = function(params, config)
    local init, settings = config.init_options, config.settings
    if (init == nil or vim.tbl_isempty(init)) and settings ~= nil and not vim.tbl_isempty(settings) then
      params.initializationOptions = vim.deepcopy(settings)
    end
  end,
  -- The server asks for its diagnostics to be pulled again (workspace/diagnostic/refresh) when
  -- indexing ends, files change on disk or settings change. Nvim 0.11 pulls them but has no
  -- handler for that request (0.12 has one), so they would stay stale until the next edit.
  handlers = vim.lsp.handlers['workspace/diagnostic/refresh'] == nil and {
    ['workspace/diagnostic/refresh'] = function(_, _, ctx)
      local client = vim.lsp.get_client_by_id(ctx.client_id)
      if client and client:supports_method('textDocument/diagnostic') then
        for bufnr in pairs(client.attached_buffers) do
          local params = { textDocument = vim.lsp.util.make_text_document_params(bufnr) }
          client:request('textDocument/diagnostic', params, nil, bufnr)
        end
      end
      return vim.NIL
    end,
  } or nil,
}
