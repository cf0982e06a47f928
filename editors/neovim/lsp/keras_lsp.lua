---@brief
---
--- keras-lsp: shows which initializer each Keras weight gets (hover, inlay hints,
--- go-to-definition on custom initializer classes).
---
--- Install the `keras-lsp` binary and put it on PATH (or point `cmd` at it), then:
---
--- ```lua
--- vim.lsp.enable('keras_lsp')
--- ```
---
--- Settings are sent both as `initializationOptions` and through
--- `workspace/didChangeConfiguration`, under the key `kerasLsp`:
---
--- ```lua
--- vim.lsp.config('keras_lsp', {
---   settings = {
---     kerasLsp = {
---       inlayHints = { enabled = true, showDefaults = true },
---       keras = 'auto', -- or '2' or '3'
---     },
---   },
--- })
--- ```
---
--- Neovim shows no inlay hints until they are enabled; `require('keras_lsp').setup()`
--- enables them for the buffers this server attaches to.

---@type vim.lsp.Config
return {
  cmd = { 'keras-lsp' },
  filetypes = { 'python' },
  root_markers = {
    'pyproject.toml',
    'setup.py',
    'setup.cfg',
    'requirements.txt',
    'Pipfile',
    '.git',
  },
  -- No settings by default: the server's own defaults apply.
  -- The server reads its settings at startup from initializationOptions; send the
  -- same table as `settings`, unless the user gave init_options of their own.
  -- (An empty Lua table would be encoded as a JSON array, so send nothing then.)
  before_init = function(params, config)
    local init = config.init_options
    local settings = config.settings
    if (init == nil or vim.tbl_isempty(init)) and settings and not vim.tbl_isempty(settings) then
      params.initializationOptions = vim.deepcopy(settings)
    end
  end,
}
